/* JPEG decoding over libjpeg(-turbo). libjpeg reports fatal errors through error_exit, which here
 * longjmps back to the setjmp in cio_decode_jpeg: the jump never leaves this file. Running out of
 * data (libjpeg's "premature end" warning) is reported as truncation rather than accepted as the
 * gray fill libjpeg would otherwise produce. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "cimageio.h"
#include "internal.h"

/* A progressive file may hold any number of scans; a crafted one with very many takes minutes to
 * decode. Real encoders write about ten. */
#define CIO_JPEG_MAX_SCANS 1000

typedef struct {
  struct jpeg_error_mgr base; /* first member: libjpeg's cinfo->err points here */
  struct jpeg_progress_mgr progress;
  jmp_buf jump;
  int truncated;
  int status;
  char message[JMSG_LENGTH_MAX + 64];
  uint8_t *pixels;
  uint8_t *cmyk_row;
} jpeg_reader;

static void jpeg_reader_error_exit(j_common_ptr cinfo) {
  jpeg_reader *reader = (jpeg_reader *)cinfo->err;
  if (reader->message[0] == '\0') (*cinfo->err->format_message)(cinfo, reader->message);
  longjmp(reader->jump, 1);
}

static void jpeg_reader_emit_message(j_common_ptr cinfo, int level) {
  jpeg_reader *reader = (jpeg_reader *)cinfo->err;
  if (level >= 0) return; /* trace messages */
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) reader->truncated = 1;
  cinfo->err->num_warnings++;
}

static void jpeg_reader_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
  if (decompress->input_scan_number > CIO_JPEG_MAX_SCANS) {
    jpeg_reader *reader = (jpeg_reader *)cinfo->err;
    reader->status = CIO_ERROR_CORRUPT;
    cio_set_error(reader->message, sizeof reader->message, "more than %d progressive scans", CIO_JPEG_MAX_SCANS);
    longjmp(reader->jump, 1);
  }
}

/* (a·b)/255 rounded, as Pillow's MULDIV255. */
static inline uint8_t cio_multiply_divide_255(unsigned a, unsigned b) {
  unsigned t = a * b + 128;
  return (uint8_t)(((t >> 8) + t) >> 8);
}

int cio_decode_jpeg(const uint8_t *data, size_t size, uint64_t max_pixels, cio_image *out,
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
  if (size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
    int is_prefix = size < 3 && data[0] == 0xFF && (size < 2 || data[1] == 0xD8);
    cio_set_error(error, error_capacity, is_prefix ? "file ends inside the JPEG signature" : "not a JPEG file");
    return is_prefix ? CIO_ERROR_TRUNCATED : CIO_ERROR_UNSUPPORTED;
  }

  struct jpeg_decompress_struct cinfo;
  jpeg_reader reader;
  memset(&cinfo, 0, sizeof cinfo);
  memset(&reader, 0, sizeof reader);
  cinfo.err = jpeg_std_error(&reader.base);
  reader.base.error_exit = jpeg_reader_error_exit;
  reader.base.emit_message = jpeg_reader_emit_message;
  reader.progress.progress_monitor = jpeg_reader_progress;

  if (setjmp(reader.jump)) {
    int status = reader.status != CIO_OK ? reader.status
                 : reader.truncated      ? CIO_ERROR_TRUNCATED
                                         : CIO_ERROR_CORRUPT;
    if (status == CIO_ERROR_TRUNCATED && reader.status == CIO_OK)
      cio_set_error(error, error_capacity, "truncated JPEG data (%s)",
                    reader.message[0] ? reader.message : "premature end of data");
    else
      cio_set_error(error, error_capacity, "%s", reader.message);
    free(reader.pixels);
    free(reader.cmyk_row);
    jpeg_destroy_decompress(&cinfo);
    out->pixels = NULL;
    out->byte_count = 0;
    return status;
  }

  jpeg_create_decompress(&cinfo);
  cinfo.progress = &reader.progress;
  jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
  (void)jpeg_read_header(&cinfo, TRUE);
  out->width = (int32_t)cinfo.image_width;
  out->height = (int32_t)cinfo.image_height;

  int channels = 3;
  int is_cmyk = 0;
  switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
      cinfo.out_color_space = JCS_GRAYSCALE;
      channels = 1;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      cinfo.out_color_space = JCS_CMYK;
      is_cmyk = 1;
      break;
    default:
      cinfo.out_color_space = JCS_RGB;
      break;
  }
  size_t byte_count = 0;
  int check = cio_check_dimensions(cinfo.image_width, cinfo.image_height, (uint64_t)channels, 1, max_pixels,
                                   &byte_count, reader.message, sizeof reader.message);
  if (check != CIO_OK) {
    reader.status = check;
    longjmp(reader.jump, 1);
  }

  (void)jpeg_start_decompress(&cinfo);
  int decoded_channels = is_cmyk ? 4 : channels;
  if (cinfo.output_width != cinfo.image_width || cinfo.output_height != cinfo.image_height ||
      cinfo.output_components != decoded_channels) {
    reader.status = CIO_ERROR_UNSUPPORTED;
    cio_set_error(reader.message, sizeof reader.message, "unexpected JPEG output layout (%d components)",
                  cinfo.output_components);
    longjmp(reader.jump, 1);
  }
  reader.pixels = (uint8_t *)malloc(byte_count);
  if (is_cmyk) reader.cmyk_row = (uint8_t *)malloc((size_t)cinfo.output_width * 4);
  if (reader.pixels == NULL || (is_cmyk && reader.cmyk_row == NULL)) {
    reader.status = CIO_ERROR_MEMORY;
    cio_set_error(reader.message, sizeof reader.message, "out of memory for %ux%u pixels", cinfo.image_width,
                  cinfo.image_height);
    longjmp(reader.jump, 1);
  }
  size_t stride = (size_t)cinfo.output_width * (size_t)channels;
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t *target = reader.pixels + (size_t)cinfo.output_scanline * stride;
    JSAMPROW row = is_cmyk ? reader.cmyk_row : target;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
      reader.truncated = 1;
      cio_set_error(reader.message, sizeof reader.message, "no more scanlines");
      longjmp(reader.jump, 1);
    }
    if (is_cmyk) {
      /* Adobe files store inverted CMYK; RGB = (255−C)(255−K)/255 per channel, as Pillow. */
      int inverted = cinfo.saw_Adobe_marker;
      for (JDIMENSION x = 0; x < cinfo.output_width; x++) {
        const uint8_t *cmyk = reader.cmyk_row + (size_t)x * 4;
        unsigned k = inverted ? cmyk[3] : 255u - cmyk[3];
        for (int c = 0; c < 3; c++) {
          unsigned v = inverted ? cmyk[c] : 255u - cmyk[c];
          target[(size_t)x * 3 + (size_t)c] = cio_multiply_divide_255(v, k);
        }
      }
    }
  }
  (void)jpeg_finish_decompress(&cinfo);
  if (reader.truncated) longjmp(reader.jump, 1);

  out->channels = channels;
  out->bit_depth = 8;
  out->pixels = reader.pixels;
  out->byte_count = byte_count;
  free(reader.cmyk_row);
  jpeg_destroy_decompress(&cinfo);
  return CIO_OK;
}

int cio_jpeg_version(void) { return JPEG_LIB_VERSION; }
