#ifndef CCODECS_H
#define CCODECS_H
#include <stddef.h>
#include <stdio.h>

/* A decoded raster: interleaved samples, 8 or 16 bits each (16-bit samples in
   native byte order), rows packed without padding. `data` is malloc'ed and
   owned by the caller (free with cc_free). */
typedef struct {
    int width;
    int height;
    int channels;      /* 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
    int bit_depth;     /* 8 or 16 */
    unsigned char *data;
    unsigned char *exif; /* JPEG APP1 Exif payload (after "Exif\0\0"), or NULL */
    size_t exif_size;
} cc_raster;

/* Upper bound on decoded bytes; checked before any pixel buffer is allocated. */
#define CC_MAX_DECODED_BYTES ((size_t)4 << 30)

void cc_free(void *p);

/* All functions return 0 on success, or -1 with a NUL-terminated reason in err. */
int cc_png_decode(const unsigned char *buf, size_t len, cc_raster *out, char *err, size_t errlen);
int cc_png_encode(FILE *f, const unsigned char *data, int width, int height, int channels,
                  int bit_depth, int level, char *err, size_t errlen);

int cc_jpeg_decode(const unsigned char *buf, size_t len, cc_raster *out, char *err, size_t errlen);
int cc_jpeg_encode(FILE *f, const unsigned char *data, int width, int height, int channels,
                   int quality, char *err, size_t errlen);

#endif
