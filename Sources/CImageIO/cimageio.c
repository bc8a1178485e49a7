#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cimageio.h"
#include "internal.h"

void cio_set_error(char *error, size_t capacity, const char *format, ...) {
  if (error == NULL || capacity == 0) return;
  va_list args;
  va_start(args, format);
  vsnprintf(error, capacity, format, args);
  va_end(args);
}

int cio_check_dimensions(uint64_t width, uint64_t height, uint64_t channels, uint64_t bytes_per_sample,
                         uint64_t max_pixels, size_t *byte_count, char *error, size_t capacity) {
  if (max_pixels == 0) max_pixels = CIO_DEFAULT_MAX_PIXELS;
  if (width == 0 || height == 0) {
    cio_set_error(error, capacity, "declared size %llux%llu has a zero dimension",
                  (unsigned long long)width, (unsigned long long)height);
    return CIO_ERROR_CORRUPT;
  }
  /* width and height come from 32-bit header fields, so the product fits in 64 bits. */
  uint64_t pixels = width * height;
  if (width > 0xFFFFFFFFu || height > 0xFFFFFFFFu || pixels > max_pixels) {
    cio_set_error(error, capacity, "declared size %llux%llu exceeds the limit of %llu pixels",
                  (unsigned long long)width, (unsigned long long)height, (unsigned long long)max_pixels);
    return CIO_ERROR_TOO_LARGE;
  }
  uint64_t bytes = pixels * channels * bytes_per_sample;
  if (bytes / channels / bytes_per_sample != pixels || bytes > (uint64_t)SIZE_MAX) {
    cio_set_error(error, capacity, "declared size %llux%llu is too large to allocate",
                  (unsigned long long)width, (unsigned long long)height);
    return CIO_ERROR_TOO_LARGE;
  }
  *byte_count = (size_t)bytes;
  return CIO_OK;
}

int cio_detect_format(const uint8_t *data, size_t size) {
  static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (data == NULL) return CIO_FORMAT_UNKNOWN;
  if (size >= 8 && memcmp(data, png_signature, 8) == 0) return CIO_FORMAT_PNG;
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return CIO_FORMAT_JPEG;
  return CIO_FORMAT_UNKNOWN;
}

int cio_decode(const uint8_t *data, size_t size, uint64_t max_pixels, cio_image *out,
               char *error, size_t error_capacity) {
  if (out != NULL) memset(out, 0, sizeof *out);
  if (data == NULL || out == NULL) {
    cio_set_error(error, error_capacity, "null argument");
    return CIO_ERROR_ARGUMENT;
  }
  switch (cio_detect_format(data, size)) {
    case CIO_FORMAT_PNG:
      return cio_decode_png(data, size, max_pixels, out, error, error_capacity);
    case CIO_FORMAT_JPEG:
      return cio_decode_jpeg(data, size, max_pixels, out, error, error_capacity);
    default:
      if (size == 0) {
        cio_set_error(error, error_capacity, "empty file");
        return CIO_ERROR_TRUNCATED;
      }
      cio_set_error(error, error_capacity, "not a PNG or JPEG file (unrecognized signature)");
      return CIO_ERROR_UNSUPPORTED;
  }
}

void cio_image_release(cio_image *image) {
  if (image == NULL) return;
  free(image->pixels);
  image->pixels = NULL;
  image->byte_count = 0;
}

void cio_buffer_release(void *buffer) { free(buffer); }
