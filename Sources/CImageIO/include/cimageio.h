/* cimageio.h — PNG and JPEG through libpng and libjpeg-turbo, behind a plain C API.
 *
 * Every function returns a status (CIO_OK or one of the CIO_ERROR_* codes) and writes its results
 * through out-parameters. On failure a NUL-terminated message is written to `error` (at most
 * `error_capacity` bytes, which may be 0). libpng and libjpeg report errors by longjmp; those jumps
 * begin and end inside this library, so no longjmp ever crosses a caller's frames.
 *
 * Declared dimensions are checked before any pixel memory is allocated: a zero width or height is
 * CIO_ERROR_CORRUPT, more than `max_pixels` pixels is CIO_ERROR_TOO_LARGE (0 means
 * CIO_DEFAULT_MAX_PIXELS). Input that ends early is CIO_ERROR_TRUNCATED.
 */
#ifndef CIMAGEIO_H
#define CIMAGEIO_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  CIO_OK = 0,
  CIO_ERROR_CORRUPT = 1,      /* malformed data (including zero width or height) */
  CIO_ERROR_TRUNCATED = 2,    /* the data ends before the image does */
  CIO_ERROR_TOO_LARGE = 3,    /* declared dimensions exceed the pixel limit */
  CIO_ERROR_UNSUPPORTED = 4,  /* not PNG or JPEG, or a variant this library does not decode */
  CIO_ERROR_MEMORY = 5,       /* allocation failed */
  CIO_ERROR_ARGUMENT = 6      /* a caller mistake (null pointer, bad channel count, ...) */
};

enum { CIO_FORMAT_UNKNOWN = 0, CIO_FORMAT_PNG = 1, CIO_FORMAT_JPEG = 2 };

#define CIO_DEFAULT_MAX_PIXELS ((uint64_t)100000000u) /* 100 megapixels */

/* A decoded image: rows top to bottom, samples interleaved (gray; gray+alpha; RGB; RGBA).
 * bit_depth 8: one uint8_t per sample. bit_depth 16: one uint16_t per sample in host byte order.
 * `pixels` is malloc'ed; release it with cio_image_release. On a TOO_LARGE or CORRUPT failure
 * width and height hold the declared dimensions when the header could be read (else 0). */
typedef struct cio_image {
  int32_t width;
  int32_t height;
  int32_t channels;
  int32_t bit_depth;
  void *pixels;
  size_t byte_count;
} cio_image;

/* CIO_FORMAT_PNG, CIO_FORMAT_JPEG or CIO_FORMAT_UNKNOWN, from the signature bytes. */
int cio_detect_format(const uint8_t *data, size_t size);

/* PNG: 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA, palette, interlaced or not. Palette images
 * expand to RGB (RGBA when they carry transparency), gray below 8 bits to 8-bit gray, a tRNS
 * colour key to an alpha channel. 16-bit images stay 16-bit. No gamma or colour correction. */
int cio_decode_png(const uint8_t *data, size_t size, uint64_t max_pixels, cio_image *out,
                   char *error, size_t error_capacity);

/* JPEG: baseline, extended and progressive; grayscale → 1 channel, YCbCr/RGB → 3 channels,
 * CMYK/YCCK → 3 channels (RGB from Adobe-style inverted CMYK). Always 8-bit. */
int cio_decode_jpeg(const uint8_t *data, size_t size, uint64_t max_pixels, cio_image *out,
                    char *error, size_t error_capacity);

/* Either of the above, chosen by signature. */
int cio_decode(const uint8_t *data, size_t size, uint64_t max_pixels, cio_image *out,
               char *error, size_t error_capacity);

/* PNG encoding of `channels` (1–4) interleaved samples of `bit_depth` 8 or 16 (16: host byte
 * order). `compression_level` 0–9, or -1 for libpng's default. The result is malloc'ed into
 * *out_data (release with cio_buffer_release). */
int cio_encode_png(const void *pixels, int32_t width, int32_t height, int32_t channels,
                   int32_t bit_depth, int32_t compression_level, uint8_t **out_data,
                   size_t *out_size, char *error, size_t error_capacity);

void cio_image_release(cio_image *image);
void cio_buffer_release(void *buffer);

/* Library versions, for diagnostics ("libpng 1.6.39", "libjpeg 62"). */
const char *cio_png_version(void);
int cio_jpeg_version(void);

#ifdef __cplusplus
}
#endif
#endif
