// PNG through libpng's full API (not the simplified one, which turns 16-bit
// samples into linear light). Every colour type is expanded to grey, grey+alpha,
// RGB or RGBA at 8 or 16 bits, as Pillow and other decoders present them.
#include "ccodecs.h"
#include <png.h>
#include <zlib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *buf;   /* the file in memory, or NULL to read `file` */
    size_t len, pos;
    FILE *file;
    char *err;
    size_t errlen;
} png_io;

static void on_error(png_structp png, png_const_charp msg) {
    png_io *io = (png_io *)png_get_error_ptr(png);
    if (io && io->err && io->err[0] == 0) snprintf(io->err, io->errlen, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static void read_mem(png_structp png, png_bytep out, png_size_t n) {
    png_io *io = (png_io *)png_get_io_ptr(png);
    if (io->file) {
        if (fread(out, 1, n, io->file) != n) png_error(png, ferror(io->file) ? "read error" : "truncated PNG data");
        return;
    }
    if (n > io->len - io->pos) png_error(png, "truncated PNG data");
    memcpy(out, io->buf + io->pos, n);
    io->pos += n;
}

void cc_free(void *p) { free(p); }

struct cc_png_reader {
    png_structp png;
    png_infop info;
    png_io io;
    int height, interlaced;
    size_t rowbytes;
};

void cc_png_close(cc_png_reader *r) {
    if (!r) return;
    png_destroy_read_struct(&r->png, r->info ? &r->info : NULL, NULL);
    free(r);
}

cc_png_reader *cc_png_open(const unsigned char *buf, size_t len, FILE *file, cc_raster *header, char *err, size_t errlen) {
    err[0] = 0;
    memset(header, 0, sizeof *header);
    unsigned char sig[8];
    if (file) {
        if (fread(sig, 1, 8, file) != 8 || png_sig_cmp(sig, 0, 8) != 0) { snprintf(err, errlen, "not a PNG file"); return NULL; }
    } else if (len < 8 || png_sig_cmp(buf, 0, 8) != 0) { snprintf(err, errlen, "not a PNG file"); return NULL; }
    cc_png_reader *r = calloc(1, sizeof *r);
    if (!r) { snprintf(err, errlen, "out of memory"); return NULL; }
    r->io = (png_io){buf, len, 0, file, err, errlen};
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r->io, on_error, on_warning);
    if (r->png) r->info = png_create_info_struct(r->png);
    if (!r->png || !r->info) { cc_png_close(r); snprintf(err, errlen, "out of memory"); return NULL; }
    if (setjmp(png_jmpbuf(r->png))) {
        cc_png_close(r);
        if (err[0] == 0) snprintf(err, errlen, "invalid PNG data");
        return NULL;
    }
    png_set_read_fn(r->png, &r->io, read_mem);
    if (file) png_set_sig_bytes(r->png, 8);
    png_read_info(r->png, r->info);
    png_uint_32 w = png_get_image_width(r->png, r->info), h = png_get_image_height(r->png, r->info);
    int color = png_get_color_type(r->png, r->info), depth = png_get_bit_depth(r->png, r->info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
    if (png_get_valid(r->png, r->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r->png);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (depth == 16) png_set_swap(r->png);
#endif
    r->interlaced = png_set_interlace_handling(r->png) > 1;
    png_read_update_info(r->png, r->info);
    r->rowbytes = png_get_rowbytes(r->png, r->info);
    r->height = (int)h;
    if (w == 0 || h == 0) png_error(r->png, "image has no pixels");
    if ((size_t)h > CC_MAX_DECODED_BYTES / r->rowbytes) png_error(r->png, "image too large to decode");
    header->width = (int)w; header->height = (int)h;
    header->channels = png_get_channels(r->png, r->info);
    header->bit_depth = png_get_bit_depth(r->png, r->info);
    return r;
}

int cc_png_is_interlaced(const cc_png_reader *r) { return r->interlaced; }

int cc_png_read_rows(cc_png_reader *r, unsigned char *dst, int nrows) {
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(r->png))) {
        free(rows);
        if (r->io.err[0] == 0) snprintf(r->io.err, r->io.errlen, "invalid PNG data");
        return -1;
    }
    if (r->interlaced) {
        /* Adam7 passes revisit every row: the whole image in one call. */
        if (nrows != r->height) png_error(r->png, "an interlaced PNG is read whole");
        rows = malloc(sizeof(png_bytep) * (size_t)nrows);
        if (!rows) png_error(r->png, "out of memory");
        for (int y = 0; y < nrows; y++) rows[y] = dst + (size_t)y * r->rowbytes;
        png_read_image(r->png, rows);
        free(rows);
        rows = NULL;
    } else {
        for (int y = 0; y < nrows; y++) png_read_row(r->png, dst + (size_t)y * r->rowbytes, NULL);
    }
    return 0;
}

int cc_png_finish(cc_png_reader *r) {
    if (setjmp(png_jmpbuf(r->png))) {
        if (r->io.err[0] == 0) snprintf(r->io.err, r->io.errlen, "invalid PNG data");
        return -1;
    }
    png_read_end(r->png, NULL);
    return 0;
}

int cc_png_decode(const unsigned char *buf, size_t len, cc_raster *out, char *err, size_t errlen) {
    cc_png_reader *r = cc_png_open(buf, len, NULL, out, err, errlen);
    if (!r) return -1;
    out->data = malloc(r->rowbytes * (size_t)r->height);
    if (!out->data) { cc_png_close(r); snprintf(err, errlen, "out of memory"); return -1; }
    if (cc_png_read_rows(r, out->data, r->height) != 0 || cc_png_finish(r) != 0) {
        free(out->data); out->data = NULL; cc_png_close(r); return -1;
    }
    cc_png_close(r);
    return 0;
}
