/* PNG decoding and encoding over libpng. Every libpng error longjmps back to the setjmp in the
 * function that called libpng here, so the jumps never leave this file. State that must survive a
 * jump lives in a context struct whose address libpng holds, never in a register-cached local. */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "cimageio.h"
#include "internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CIO_HOST_IS_LITTLE_ENDIAN 1
#else
#define CIO_HOST_IS_LITTLE_ENDIAN 0
#endif

typedef struct {
  const uint8_t *data;
  size_t size;
  size_t offset;
  int truncated;      /* the read callback ran out of data */
  int status;         /* a status chosen here (CIO_ERROR_TOO_LARGE, ...) before jumping */
  char message[256];
  uint8_t *pixels;
  png_bytep *rows;
} png_reader;

static void png_read_memory(png_structp png, png_bytep destination, size_t length) {
  png_reader *reader = (png_reader *)png_get_io_ptr(png);
  if (length > reader->size - reader->offset) {
    reader->truncated = 1;
    png_error(png, "unexpected end of data");
  }
  memcpy(destination, reader->data + reader->offset, length);
  reader->offset += length;
}

static void png_reader_error(png_structp png, png_const_charp message) {
  png_reader *reader = (png_reader *)png_get_error_ptr(png);
  if (reader->message[0] == '\0') cio_set_error(reader->message, sizeof reader->message, "%s", message);
  png_longjmp(png, 1);
}

static void png_ignore_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

int cio_decode_png(const uint8_t *data, size_t size, uint64_t max_pixels, cio_image *out,
                   char *error, size_t error_capacity) {
  if (out != NULL) memset(out, 0, sizeof *out);
  if (data == NULL || out == NULL) {
    cio_set_error(error, error_capacity, "null argument");
    return CIO_ERROR_ARGUMENT;
  }
  if (size == 0) {
    cio_set_error(error, error_capacity, "empty file");
    return CIO_ERROR_TRUNCATED;
  }
  if (size < 8) {
    int is_prefix = png_sig_cmp((png_const_bytep)data, 0, size) == 0;
    cio_set_error(error, error_capacity, is_prefix ? "file ends inside the PNG signature" : "not a PNG file");
    return is_prefix ? CIO_ERROR_TRUNCATED : CIO_ERROR_UNSUPPORTED;
  }
  if (png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
    cio_set_error(error, error_capacity, "not a PNG file (bad signature)");
    return CIO_ERROR_UNSUPPORTED;
  }

  png_reader reader;
  memset(&reader, 0, sizeof reader);
  reader.data = data;
  reader.size = size;

  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, png_reader_error, png_ignore_warning);
  if (png == NULL) {
    cio_set_error(error, error_capacity, "out of memory creating the PNG reader");
    return CIO_ERROR_MEMORY;
  }
  png_infop info = png_create_info_struct(png);
  if (info == NULL) {
    png_destroy_read_struct(&png, NULL, NULL);
    cio_set_error(error, error_capacity, "out of memory creating the PNG reader");
    return CIO_ERROR_MEMORY;
  }

  if (setjmp(png_jmpbuf(png))) {
    int status = reader.status != CIO_OK ? reader.status
                 : reader.truncated      ? CIO_ERROR_TRUNCATED
                                         : CIO_ERROR_CORRUPT;
    if (status == CIO_ERROR_TRUNCATED)
      cio_set_error(error, error_capacity, "truncated PNG data (%s)", reader.message);
    else
      cio_set_error(error, error_capacity, "%s", reader.message);
    free(reader.rows);
    free(reader.pixels);
    png_destroy_read_struct(&png, &info, NULL);
    out->pixels = NULL;
    out->byte_count = 0;
    return status;
  }

  png_set_read_fn(png, &reader, png_read_memory);
  /* Our own limit (max_pixels) decides what is too large; lift libpng's 1,000,000-per-side cap so
   * an oversized image is reported as such rather than as a libpng error. */
  png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);

  png_read_info(png, info);
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
  out->width = (int32_t)(width > 0x7fffffffU ? 0x7fffffffU : width);
  out->height = (int32_t)(height > 0x7fffffffU ? 0x7fffffffU : height);

  /* Check the declared size before png_read_update_info, which already allocates a row buffer
   * for the declared width. Channels after the expansions below: */
  int has_key = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  int expected_channels = color_type == PNG_COLOR_TYPE_GRAY         ? 1 + has_key
                          : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                          : color_type == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                                                                    : 3 + has_key; /* RGB, palette */
  size_t byte_count = 0;
  int check = cio_check_dimensions(width, height, (uint64_t)expected_channels, bit_depth == 16 ? 2 : 1,
                                   max_pixels, &byte_count, reader.message, sizeof reader.message);
  if (check != CIO_OK) {
    reader.status = check;
    png_longjmp(png, 1);
  }

  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (has_key) png_set_tRNS_to_alpha(png);
  if (bit_depth == 16 && CIO_HOST_IS_LITTLE_ENDIAN) png_set_swap(png);
  (void)png_set_interlace_handling(png);
  png_read_update_info(png, info);

  int channels = png_get_channels(png, info);
  int depth = png_get_bit_depth(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  if ((depth != 8 && depth != 16) || channels != expected_channels ||
      row_bytes != (size_t)width * (size_t)channels * (size_t)(depth / 8)) {
    reader.status = CIO_ERROR_UNSUPPORTED;
    cio_set_error(reader.message, sizeof reader.message,
                  "unsupported PNG layout (bit depth %d, color type %d)", bit_depth, color_type);
    png_longjmp(png, 1);
  }

  reader.pixels = (uint8_t *)malloc(byte_count);
  reader.rows = (png_bytep *)malloc((size_t)height * sizeof(png_bytep));
  if (reader.pixels == NULL || reader.rows == NULL) {
    reader.status = CIO_ERROR_MEMORY;
    cio_set_error(reader.message, sizeof reader.message, "out of memory for %ux%u pixels", width, height);
    png_longjmp(png, 1);
  }
  for (png_uint_32 y = 0; y < height; y++) reader.rows[y] = reader.pixels + (size_t)y * row_bytes;
  png_read_image(png, reader.rows);
  png_read_end(png, NULL);

  out->channels = channels;
  out->bit_depth = depth;
  out->pixels = reader.pixels;
  out->byte_count = byte_count;
  free(reader.rows);
  png_destroy_read_struct(&png, &info, NULL);
  return CIO_OK;
}

/* ---- encoding ---- */

typedef struct {
  uint8_t *data;
  size_t size;
  size_t capacity;
  int out_of_memory;
  char message[256];
} png_writer;

static void png_write_memory(png_structp png, png_bytep source, size_t length) {
  png_writer *writer = (png_writer *)png_get_io_ptr(png);
  if (length > writer->capacity - writer->size) {
    size_t capacity = writer->capacity < 4096 ? 4096 : writer->capacity;
    while (capacity - writer->size < length) {
      if (capacity > SIZE_MAX / 2) {
        writer->out_of_memory = 1;
        png_error(png, "PNG output too large");
      }
      capacity *= 2;
    }
    uint8_t *grown = (uint8_t *)realloc(writer->data, capacity);
    if (grown == NULL) {
      writer->out_of_memory = 1;
      png_error(png, "out of memory for the PNG output");
    }
    writer->data = grown;
    writer->capacity = capacity;
  }
  memcpy(writer->data + writer->size, source, length);
  writer->size += length;
}

static void png_flush_memory(png_structp png) { (void)png; }

static void png_writer_error(png_structp png, png_const_charp message) {
  png_writer *writer = (png_writer *)png_get_error_ptr(png);
  if (writer->message[0] == '\0') cio_set_error(writer->message, sizeof writer->message, "%s", message);
  png_longjmp(png, 1);
}

int cio_encode_png(const void *pixels, int32_t width, int32_t height, int32_t channels,
                   int32_t bit_depth, int32_t compression_level, uint8_t **out_data,
                   size_t *out_size, char *error, size_t error_capacity) {
  if (out_data != NULL) *out_data = NULL;
  if (out_size != NULL) *out_size = 0;
  if (pixels == NULL || out_data == NULL || out_size == NULL) {
    cio_set_error(error, error_capacity, "null argument");
    return CIO_ERROR_ARGUMENT;
  }
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) ||
      compression_level < -1 || compression_level > 9) {
    cio_set_error(error, error_capacity, "cannot encode %dx%d with %d channels at %d bits (level %d)", width,
                  height, channels, bit_depth, compression_level);
    return CIO_ERROR_ARGUMENT;
  }
  static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                     PNG_COLOR_TYPE_RGB_ALPHA};
  size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);

  png_writer writer;
  memset(&writer, 0, sizeof writer);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer, png_writer_error, png_ignore_warning);
  if (png == NULL) {
    cio_set_error(error, error_capacity, "out of memory creating the PNG writer");
    return CIO_ERROR_MEMORY;
  }
  png_infop info = png_create_info_struct(png);
  if (info == NULL) {
    png_destroy_write_struct(&png, NULL);
    cio_set_error(error, error_capacity, "out of memory creating the PNG writer");
    return CIO_ERROR_MEMORY;
  }
  if (setjmp(png_jmpbuf(png))) {
    cio_set_error(error, error_capacity, "PNG encoding failed: %s", writer.message);
    free(writer.data);
    png_destroy_write_struct(&png, &info);
    return writer.out_of_memory ? CIO_ERROR_MEMORY : CIO_ERROR_ARGUMENT;
  }
  png_set_write_fn(png, &writer, png_write_memory, png_flush_memory);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_types[channels],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (compression_level >= 0) png_set_compression_level(png, compression_level);
  png_write_info(png, info);
  if (bit_depth == 16 && CIO_HOST_IS_LITTLE_ENDIAN) png_set_swap(png);
  for (int32_t y = 0; y < height; y++)
    png_write_row(png, (png_const_bytep)pixels + (size_t)y * row_bytes);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);

  *out_data = writer.data;
  *out_size = writer.size;
  return CIO_OK;
}

const char *cio_png_version(void) { return png_get_libpng_ver(NULL); }
