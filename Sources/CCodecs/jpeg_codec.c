// JPEG through libjpeg(-turbo). Greyscale and YCbCr decode to grey and RGB;
// CMYK and YCCK decode to CMYK and are converted to RGB here, as Pillow does.
// Every libjpeg warning (premature end of data, corrupt segments) is treated as
// an error: a damaged photo is refused rather than filtered half grey.
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

int cc_jpeg_decode(const unsigned char *buf, size_t len, cc_raster *out, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    error_mgr jerr;
    unsigned char *volatile data = NULL;
    unsigned char *volatile row = NULL;
    err[0] = 0;
    memset(out, 0, sizeof *out);
    cinfo.err = jpeg_std_error(&jerr.base);
    jerr.base.error_exit = on_fatal;
    jerr.base.emit_message = on_message;
    jerr.err = err; jerr.errlen = errlen;
    if (setjmp(jerr.jump)) {
        free(data); free(row); free(out->exif); out->exif = NULL;
        jpeg_destroy_decompress(&cinfo);
        if (err[0] == 0) snprintf(err, errlen, "invalid JPEG data");
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&cinfo, TRUE);
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    if (cmyk) cinfo.out_color_space = JCS_CMYK;
    else if (cinfo.num_components == 1) cinfo.out_color_space = JCS_GRAYSCALE;
    else cinfo.out_color_space = JCS_RGB;
    size_t w = cinfo.image_width, h = cinfo.image_height;
    int channels = cmyk ? 3 : (cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3);
    if (w == 0 || h == 0) { snprintf(err, errlen, "image has no pixels"); longjmp(jerr.jump, 1); }
    if (h > CC_MAX_DECODED_BYTES / (w * 4)) { snprintf(err, errlen, "image too large to decode"); longjmp(jerr.jump, 1); }
    if (exif_payload(&cinfo, out) != 0) { snprintf(err, errlen, "out of memory"); longjmp(jerr.jump, 1); }
    jpeg_start_decompress(&cinfo);
    data = malloc(w * h * channels);
    if (cmyk) row = malloc(w * 4);
    if (!data || (cmyk && !row)) { snprintf(err, errlen, "out of memory"); longjmp(jerr.jump, 1); }
    int inverted = cmyk && cinfo.saw_Adobe_marker; /* Adobe stores CMYK inverted */
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *dst = data + (size_t)cinfo.output_scanline * w * channels;
        JSAMPROW target = cmyk ? row : dst;
        jpeg_read_scanlines(&cinfo, &target, 1);
        if (cmyk) {
            for (size_t x = 0; x < w; x++) {
                int c[4];
                for (int k = 0; k < 4; k++) c[k] = inverted ? 255 - row[4 * x + k] : row[4 * x + k];
                int nk = 255 - c[3];
                /* R = (255-C)(255-K)/255, rounded: nk - round(C*nk/255) */
                for (int k = 0; k < 3; k++) dst[3 * x + k] = (unsigned char)(nk - (2 * c[k] * nk + 255) / 510);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->width = (int)w; out->height = (int)h; out->channels = channels; out->bit_depth = 8;
    out->data = data;
    return 0;
}

int cc_jpeg_encode(FILE *f, const unsigned char *data, int width, int height, int channels,
                   int quality, char *err, size_t errlen) {
    struct jpeg_compress_struct cinfo;
    error_mgr jerr;
    err[0] = 0;
    if (channels != 1 && channels != 3) { snprintf(err, errlen, "JPEG holds 1 or 3 channels, not %d", channels); return -1; }
    cinfo.err = jpeg_std_error(&jerr.base);
    jerr.base.error_exit = on_fatal;
    jerr.err = err; jerr.errlen = errlen;
    if (setjmp(jerr.jump)) {
        jpeg_destroy_compress(&cinfo);
        if (err[0] == 0) snprintf(err, errlen, "JPEG encoding failed");
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW r = (JSAMPROW)(data + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    if (ferror(f)) { snprintf(err, errlen, "write error"); return -1; }
    return 0;
}
