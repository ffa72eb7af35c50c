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

/* A whole file, gunzipped when it is gzip (plain files pass through); NULL and err on failure. */
unsigned char *cc_read_gzip(const char *path, size_t max_bytes, size_t *out_len, char *err, size_t errlen);

/* Functions returning int give 0 on success, or -1 with a NUL-terminated
   reason in the err buffer passed when the reader or writer was opened. */

/* PNG, whole image or row by row, from memory (buf, len) or from a file
   (file non-NULL: read as needed, so the compressed bytes are never all in
   memory). cc_png_open reads the header into `header` (width, height,
   channels, bit_depth; no data). An interlaced PNG must be read in one call
   for all its rows. cc_png_finish checks the file's end. */
typedef struct cc_png_reader cc_png_reader;
cc_png_reader *cc_png_open(const unsigned char *buf, size_t len, FILE *file, cc_raster *header, char *err, size_t errlen);
int cc_png_is_interlaced(const cc_png_reader *r);
int cc_png_read_rows(cc_png_reader *r, unsigned char *dst, int nrows);
int cc_png_finish(cc_png_reader *r);
void cc_png_close(cc_png_reader *r);
int cc_png_decode(const unsigned char *buf, size_t len, cc_raster *out, char *err, size_t errlen);

/* Parallel PNG writing: `nrows` rows (prev_row: the row above the first, or
   NULL for the image's first row) filtered and deflated as one segment of a
   zlib stream (raw deflate, ending on a byte boundary unless `last`). */
typedef struct {
    unsigned char *data;   /* malloc'ed deflate bytes */
    size_t size;
    unsigned long adler;   /* Adler-32 of the segment's filtered bytes */
    size_t raw_size;       /* filtered bytes, for combining checksums */
} cc_png_segment;

int cc_png_compress_rows(const unsigned char *const *rows, int nrows, const unsigned char *prev_row,
                         int width, int channels, int depth, int level, int last,
                         cc_png_segment *seg, char *err, size_t errlen);
unsigned long cc_adler32_combine(unsigned long a, unsigned long b, size_t len_b);
int cc_png_write_header(FILE *f, int width, int height, int channels, int depth);
int cc_png_write_chunk(FILE *f, const char *type, const unsigned char *data, size_t len);

/* JPEG, whole image or row by row; the header carries the Exif payload. */
typedef struct cc_jpeg_reader cc_jpeg_reader;
cc_jpeg_reader *cc_jpeg_open(const unsigned char *buf, size_t len, FILE *file, cc_raster *header, char *err, size_t errlen);
int cc_jpeg_read_rows(cc_jpeg_reader *r, unsigned char *dst, int nrows);
int cc_jpeg_finish(cc_jpeg_reader *r);
void cc_jpeg_close(cc_jpeg_reader *r);
int cc_jpeg_decode(const unsigned char *buf, size_t len, cc_raster *out, char *err, size_t errlen);

typedef struct cc_jpeg_writer cc_jpeg_writer;
cc_jpeg_writer *cc_jpeg_writer_open(FILE *f, int width, int height, int channels, int quality, char *err, size_t errlen);
int cc_jpeg_write_rows(cc_jpeg_writer *w, const unsigned char *rows, int nrows);
int cc_jpeg_writer_finish(cc_jpeg_writer *w);
void cc_jpeg_writer_close(cc_jpeg_writer *w);

/* Planar Float32 rows from interleaved samples (every `stride`-th one), and
   back: values in [0, 1] rounded to 8 or 16 bits, clipped, NaN as 0. */
void cc_load_u8(const unsigned char *src, size_t stride, float *dst, size_t n, float scale);
void cc_load_u16(const unsigned short *src, size_t stride, float *dst, size_t n, float scale);
void cc_store_u8(const float *src, size_t n, unsigned char *dst, size_t stride);
void cc_store_u16(const float *src, size_t n, unsigned short *dst, size_t stride);

#endif
