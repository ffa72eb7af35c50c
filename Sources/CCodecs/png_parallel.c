// PNG encoding in independent segments of rows, so that several cores can
// filter and deflate at once. libpng writes one zlib stream from one thread;
// here each segment is filtered (libpng's minimum-sum-of-absolute-differences
// heuristic over the five row filters) and deflated on its own. The segments'
// raw deflate streams end on a byte boundary (Z_SYNC_FLUSH) and are simply
// concatenated into one zlib stream, the way pigz does; their Adler-32
// checksums are combined. The container (signature, IHDR, IDAT, IEND) is
// written here too; libpng still decodes.
#include "ccodecs.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* 16-bit arithmetic (the values fit) lets the compiler work on 8 or 16
   bytes per vector instead of 4. */
static inline unsigned char paeth(unsigned char a, unsigned char b, unsigned char c) {
    short pa = (short)b - c, pb = (short)a - c, pc = (short)(pa + pb);
    pa = pa < 0 ? -pa : pa; pb = pb < 0 ? -pb : pb; pc = pc < 0 ? -pc : pc;
    return (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
}

/* libpng's heuristic for choosing a row filter: the sum of the filtered
   bytes' magnitudes read as signed values, min(v, 256 - v). Summed in 16-bit
   lanes over blocks of 256 bytes (at most 128 each, so no overflow), which
   lets the compiler use 16-byte vectors. */
static unsigned row_cost(const unsigned char *restrict v, size_t n) {
    unsigned total = 0;
    for (size_t i = 0; i < n;) {
        size_t end = n - i > 256 ? i + 256 : n;
        unsigned short s = 0;
        for (; i < end; i++) {
            unsigned char x = v[i], m = (unsigned char)(0u - x);
            s += x < m ? x : m;
        }
        total += s;
    }
    return total;
}

/* Filters one row into out[0..n] (out[0] = filter type), trying all five
   filters, each made in its own loop of byte arithmetic. */
static void filter_row(const unsigned char *restrict cur, const unsigned char *restrict prev, size_t n, int bpp,
                       unsigned char *restrict out, unsigned char *restrict scratch /* 4 * n */) {
    unsigned char *restrict sub = scratch, *restrict up = scratch + n, *restrict avg = scratch + 2 * n,
                  *restrict pae = scratch + 3 * n;
    const unsigned char *cand[5] = {cur, sub, up, avg, pae};
    size_t b = (size_t)bpp < n ? (size_t)bpp : n;
    for (size_t i = 0; i < b; i++) sub[i] = cur[i];
    for (size_t i = b; i < n; i++) sub[i] = cur[i] - cur[i - b];
    if (prev) {
        for (size_t i = 0; i < n; i++) up[i] = cur[i] - prev[i];
        for (size_t i = 0; i < b; i++) avg[i] = cur[i] - (prev[i] >> 1);
        for (size_t i = b; i < n; i++) avg[i] = cur[i] - (unsigned char)((cur[i - b] + prev[i]) >> 1);
        for (size_t i = 0; i < b; i++) pae[i] = cur[i] - prev[i];
        for (size_t i = b; i < n; i++) pae[i] = cur[i] - paeth(cur[i - b], prev[i], prev[i - b]);
    } else {
        /* First row: the row above is zeros, so Up is None and Paeth is Sub. */
        cand[2] = cur;
        for (size_t i = 0; i < b; i++) avg[i] = cur[i];
        for (size_t i = b; i < n; i++) avg[i] = cur[i] - (cur[i - b] >> 1);
        cand[4] = sub;
    }
    int best = 0;
    unsigned best_cost = row_cost(cur, n);
    for (int t = 1; t < 5; t++) {
        if (cand[t] == cur || (t == 4 && cand[4] == sub)) continue; /* same bytes as an earlier candidate */
        unsigned c = row_cost(cand[t], n);
        if (c < best_cost) { best_cost = c; best = t; }
    }
    out[0] = (unsigned char)best;
    memcpy(out + 1, cand[best], n);
}

/* A row as PNG bytes: 16-bit samples big-endian. */
static const unsigned char *png_row(const unsigned char *row, size_t rowbytes, int depth, unsigned char *buf) {
    if (depth != 16) return row;
    const unsigned short *s = (const unsigned short *)row;
    for (size_t i = 0; i < rowbytes / 2; i++) { buf[2 * i] = s[i] >> 8; buf[2 * i + 1] = s[i] & 0xFF; }
    return buf;
}

int cc_png_compress_rows(const unsigned char *const *rows, int nrows, const unsigned char *prev_row,
                         int width, int channels, int depth, int level, int last,
                         cc_png_segment *seg, char *err, size_t errlen) {
    memset(seg, 0, sizeof *seg);
    size_t rowbytes = (size_t)width * channels * (depth / 8);
    int bpp = channels * (depth / 8);
    size_t n = (rowbytes + 1) * (size_t)nrows;
    unsigned char *filtered = malloc(n ? n : 1);
    unsigned char *scratch = malloc(4 * rowbytes);
    unsigned char *cur16 = depth == 16 ? malloc(rowbytes) : NULL;
    unsigned char *prev16 = depth == 16 ? malloc(rowbytes) : NULL;
    if (!filtered || !scratch || (depth == 16 && (!cur16 || !prev16))) {
        free(filtered); free(scratch); free(cur16); free(prev16);
        snprintf(err, errlen, "out of memory"); return -1;
    }
    for (int i = 0; i < nrows; i++) {
        const unsigned char *above = i > 0 ? rows[i - 1] : prev_row;
        const unsigned char *prev = above ? png_row(above, rowbytes, depth, prev16) : NULL;
        const unsigned char *cur = png_row(rows[i], rowbytes, depth, cur16);
        filter_row(cur, prev, rowbytes, bpp, filtered + (size_t)i * (rowbytes + 1), scratch);
    }
    free(scratch); free(cur16); free(prev16);

    z_stream z;
    memset(&z, 0, sizeof z);
    /* Raw deflate (no zlib header): the segments are joined into one stream. */
    if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_RLE) != Z_OK) {
        free(filtered); snprintf(err, errlen, "zlib initialisation failed"); return -1;
    }
    size_t cap = deflateBound(&z, (uLong)n) + 16;
    unsigned char *out = malloc(cap);
    if (!out) { deflateEnd(&z); free(filtered); snprintf(err, errlen, "out of memory"); return -1; }
    z.next_in = filtered; z.avail_in = (uInt)n;
    z.next_out = out; z.avail_out = (uInt)cap;
    int rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
    int ok = last ? rc == Z_STREAM_END : (rc == Z_OK && z.avail_in == 0);
    seg->adler = adler32(adler32(0L, Z_NULL, 0), filtered, (uInt)n);
    seg->raw_size = n;
    deflateEnd(&z);
    free(filtered);
    if (!ok) { free(out); snprintf(err, errlen, "zlib compression failed"); return -1; }
    seg->data = out;
    seg->size = cap - z.avail_out;
    return 0;
}

unsigned long cc_adler32_combine(unsigned long a, unsigned long b, size_t len_b) {
    return adler32_combine(a, b, (z_off_t)len_b);
}

static int put_u32(FILE *f, unsigned long v) {
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    return fwrite(b, 1, 4, f) == 4 ? 0 : -1;
}

int cc_png_write_chunk(FILE *f, const char *type, const unsigned char *data, size_t len) {
    unsigned long crc = crc32(0L, (const Bytef *)type, 4);
    if (len) crc = crc32(crc, data, (uInt)len);
    if (put_u32(f, len) || fwrite(type, 1, 4, f) != 4) return -1;
    if (len && fwrite(data, 1, len, f) != len) return -1;
    return put_u32(f, crc);
}

int cc_png_write_header(FILE *f, int width, int height, int channels, int depth) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    static const unsigned char types[5] = {0, 0, 4, 2, 6};
    unsigned char ihdr[13] = {
        (unsigned char)(width >> 24), (unsigned char)(width >> 16), (unsigned char)(width >> 8), (unsigned char)width,
        (unsigned char)(height >> 24), (unsigned char)(height >> 16), (unsigned char)(height >> 8), (unsigned char)height,
        (unsigned char)depth, types[channels], 0, 0, 0};
    if (fwrite(sig, 1, 8, f) != 8) return -1;
    return cc_png_write_chunk(f, "IHDR", ihdr, 13);
}
