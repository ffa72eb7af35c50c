// JPEG through libjpeg(-turbo). Greyscale and YCbCr decode to grey and RGB;
// CMYK and YCCK decode to CMYK and are converted to RGB here, as Pillow does.
// Every libjpeg warning (premature end of data, corrupt segments) is treated as
// an error: a damaged photo is refused rather than filtered half grey.
// Readers and writers work a few rows at a time, so decoding, filtering and
// encoding can overlap.
#include "ccodecs.h"
#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *err;
    size_t errlen;
} error_mgr;

static void on_fatal(j_common_ptr cinfo) {
    error_mgr *e = (error_mgr *)cinfo->err;
    if (e->err[0] == 0) {
        char msg[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, msg);
        snprintf(e->err, e->errlen, "%s", msg);
    }
    longjmp(e->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    if (level < 0) on_fatal(cinfo); /* warnings mean damaged data */
}

struct cc_jpeg_reader {
    struct jpeg_decompress_struct cinfo;
    error_mgr jerr;
    int cmyk, inverted, channels;
    unsigned char *row; /* CMYK scanline */
};

void cc_jpeg_close(cc_jpeg_reader *r) {
    if (!r) return;
    jpeg_destroy_decompress(&r->cinfo);
    free(r->row);
    free(r);
}

static int exif_payload(j_decompress_ptr cinfo, cc_raster *out) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            out->exif_size = m->data_length - 6;
            out->exif = malloc(out->exif_size);
            if (!out->exif) return -1;
            memcpy(out->exif, m->data + 6, out->exif_size);
            return 0;
        }
    }
    return 0;
}

cc_jpeg_reader *cc_jpeg_open(const unsigned char *buf, size_t len, FILE *file, cc_raster *header, char *err, size_t errlen) {
    err[0] = 0;
    memset(header, 0, sizeof *header);
    cc_jpeg_reader *r = calloc(1, sizeof *r);
    if (!r) { snprintf(err, errlen, "out of memory"); return NULL; }
    r->cinfo.err = jpeg_std_error(&r->jerr.base);
    r->jerr.base.error_exit = on_fatal;
    r->jerr.base.emit_message = on_message;
    r->jerr.err = err; r->jerr.errlen = errlen;
    jpeg_create_decompress(&r->cinfo);
    if (setjmp(r->jerr.jump)) {
        free(header->exif); header->exif = NULL;
        cc_jpeg_close(r);
        if (err[0] == 0) snprintf(err, errlen, "invalid JPEG data");
        return NULL;
    }
    if (file) jpeg_stdio_src(&r->cinfo, file);
    else jpeg_mem_src(&r->cinfo, buf, (unsigned long)len);
    jpeg_save_markers(&r->cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&r->cinfo, TRUE);
    r->cmyk = r->cinfo.jpeg_color_space == JCS_CMYK || r->cinfo.jpeg_color_space == JCS_YCCK;
    if (r->cmyk) r->cinfo.out_color_space = JCS_CMYK;
    else if (r->cinfo.num_components == 1) r->cinfo.out_color_space = JCS_GRAYSCALE;
    else r->cinfo.out_color_space = JCS_RGB;
    size_t w = r->cinfo.image_width, h = r->cinfo.image_height;
    r->channels = r->cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
    if (w == 0 || h == 0) { snprintf(err, errlen, "image has no pixels"); longjmp(r->jerr.jump, 1); }
    if (h > CC_MAX_DECODED_BYTES / (w * 4)) { snprintf(err, errlen, "image too large to decode"); longjmp(r->jerr.jump, 1); }
    if (exif_payload(&r->cinfo, header) != 0) { snprintf(err, errlen, "out of memory"); longjmp(r->jerr.jump, 1); }
    jpeg_start_decompress(&r->cinfo);
    if (r->cmyk && !(r->row = malloc(w * 4))) { snprintf(err, errlen, "out of memory"); longjmp(r->jerr.jump, 1); }
    r->inverted = r->cmyk && r->cinfo.saw_Adobe_marker; /* Adobe stores CMYK inverted */
    header->width = (int)w; header->height = (int)h; header->channels = r->channels; header->bit_depth = 8;
    return r;
}

int cc_jpeg_read_rows(cc_jpeg_reader *r, unsigned char *dst, int nrows) {
    if (setjmp(r->jerr.jump)) {
        if (r->jerr.err[0] == 0) snprintf(r->jerr.err, r->jerr.errlen, "invalid JPEG data");
        return -1;
    }
    size_t w = r->cinfo.output_width;
    for (int i = 0; i < nrows; i++) {
        unsigned char *out = dst + (size_t)i * w * r->channels;
        JSAMPROW target = r->cmyk ? r->row : out;
        while (jpeg_read_scanlines(&r->cinfo, &target, 1) != 1) {}
        if (r->cmyk) {
            for (size_t x = 0; x < w; x++) {
                int c[4];
                for (int k = 0; k < 4; k++) c[k] = r->inverted ? 255 - r->row[4 * x + k] : r->row[4 * x + k];
                int nk = 255 - c[3];
                /* R = (255-C)(255-K)/255, rounded: nk - round(C*nk/255) */
                for (int k = 0; k < 3; k++) out[3 * x + k] = (unsigned char)(nk - (2 * c[k] * nk + 255) / 510);
            }
        }
    }
    return 0;
}

int cc_jpeg_finish(cc_jpeg_reader *r) {
    if (setjmp(r->jerr.jump)) {
        if (r->jerr.err[0] == 0) snprintf(r->jerr.err, r->jerr.errlen, "invalid JPEG data");
        return -1;
    }
    jpeg_finish_decompress(&r->cinfo);
    return 0;
}

int cc_jpeg_decode(const unsigned char *buf, size_t len, cc_raster *out, char *err, size_t errlen) {
    cc_jpeg_reader *r = cc_jpeg_open(buf, len, NULL, out, err, errlen);
    if (!r) return -1;
    out->data = malloc((size_t)out->width * out->height * out->channels);
    if (!out->data || cc_jpeg_read_rows(r, out->data, out->height) != 0 || cc_jpeg_finish(r) != 0) {
        if (!out->data) snprintf(err, errlen, "out of memory");
        free(out->data); out->data = NULL;
        free(out->exif); out->exif = NULL;
        cc_jpeg_close(r);
        return -1;
    }
    cc_jpeg_close(r);
    return 0;
}

struct cc_jpeg_writer {
    struct jpeg_compress_struct cinfo;
    error_mgr jerr;
    size_t stride;
};

void cc_jpeg_writer_close(cc_jpeg_writer *w) {
    if (!w) return;
    jpeg_destroy_compress(&w->cinfo);
    free(w);
}

cc_jpeg_writer *cc_jpeg_writer_open(FILE *f, int width, int height, int channels, int quality, char *err, size_t errlen) {
    err[0] = 0;
    if (channels != 1 && channels != 3) { snprintf(err, errlen, "JPEG holds 1 or 3 channels, not %d", channels); return NULL; }
    cc_jpeg_writer *w = calloc(1, sizeof *w);
    if (!w) { snprintf(err, errlen, "out of memory"); return NULL; }
    w->cinfo.err = jpeg_std_error(&w->jerr.base);
    w->jerr.base.error_exit = on_fatal;
    w->jerr.err = err; w->jerr.errlen = errlen;
    jpeg_create_compress(&w->cinfo);
    if (setjmp(w->jerr.jump)) {
        cc_jpeg_writer_close(w);
        if (err[0] == 0) snprintf(err, errlen, "JPEG encoding failed");
        return NULL;
    }
    jpeg_stdio_dest(&w->cinfo, f);
    w->cinfo.image_width = (JDIMENSION)width;
    w->cinfo.image_height = (JDIMENSION)height;
    w->cinfo.input_components = channels;
    w->cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&w->cinfo);
    jpeg_set_quality(&w->cinfo, quality, TRUE);
    jpeg_start_compress(&w->cinfo, TRUE);
    w->stride = (size_t)width * channels;
    return w;
}

int cc_jpeg_write_rows(cc_jpeg_writer *w, const unsigned char *rows, int nrows) {
    if (setjmp(w->jerr.jump)) {
        if (w->jerr.err[0] == 0) snprintf(w->jerr.err, w->jerr.errlen, "JPEG encoding failed");
        return -1;
    }
    for (int i = 0; i < nrows; i++) {
        JSAMPROW r = (JSAMPROW)(rows + (size_t)i * w->stride);
        jpeg_write_scanlines(&w->cinfo, &r, 1);
    }
    return 0;
}

int cc_jpeg_writer_finish(cc_jpeg_writer *w) {
    if (setjmp(w->jerr.jump)) {
        if (w->jerr.err[0] == 0) snprintf(w->jerr.err, w->jerr.errlen, "JPEG encoding failed");
        return -1;
    }
    jpeg_finish_compress(&w->cinfo);
    return 0;
}
