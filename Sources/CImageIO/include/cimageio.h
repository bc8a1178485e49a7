/* cimageio.h — PNG and JPEG through libpng and libjpeg-turbo, behind a plain C API.
 * (Filled in by the imaging work of issue 3/4.) */
#ifndef CIMAGEIO_H
#define CIMAGEIO_H
#include <stddef.h>
#include <stdint.h>
#endif
