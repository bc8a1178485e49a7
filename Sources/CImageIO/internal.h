/* Helpers shared by the PNG and JPEG halves of CImageIO; not part of the public header. */
#ifndef CIMAGEIO_INTERNAL_H
#define CIMAGEIO_INTERNAL_H
#include "cimageio.h"

/* Writes a formatted message into error[0..<capacity] (always NUL-terminated when capacity > 0). */
void cio_set_error(char *error, size_t capacity, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks declared dimensions before allocation: CIO_OK, CIO_ERROR_CORRUPT (zero) or
 * CIO_ERROR_TOO_LARGE (over max_pixels, or a byte count that overflows size_t). On success
 * *byte_count holds width·height·channels·bytes_per_sample. */
int cio_check_dimensions(uint64_t width, uint64_t height, uint64_t channels, uint64_t bytes_per_sample,
                         uint64_t max_pixels, size_t *byte_count, char *error, size_t capacity);

#endif
