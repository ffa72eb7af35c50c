// Reads a whole file that may be gzip-compressed: zlib's gzread passes plain
// files through unchanged, so MNIST-style data sets work either way.
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <zlib.h>
#include "ccodecs.h"

unsigned char *cc_read_gzip(const char *path, size_t max_bytes, size_t *out_len, char *err, size_t errlen) {
    gzFile f = gzopen(path, "rb");
    if (!f) { snprintf(err, errlen, "cannot open the file"); return NULL; }
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) { gzclose(f); snprintf(err, errlen, "out of memory"); return NULL; }
    for (;;) {
        if (len == cap) {
            if (cap > max_bytes) { free(buf); gzclose(f); snprintf(err, errlen, "more than %zu bytes uncompressed", max_bytes); return NULL; }
            unsigned char *bigger = realloc(buf, cap * 2);
            if (!bigger) { free(buf); gzclose(f); snprintf(err, errlen, "out of memory"); return NULL; }
            buf = bigger; cap *= 2;
        }
        size_t want = cap - len;
        if (want > (1u << 30)) want = 1u << 30;
        int n = gzread(f, buf + len, (unsigned)want);
        if (n < 0) {
            int code; const char *msg = gzerror(f, &code);
            snprintf(err, errlen, "corrupt gzip data (%s)", msg ? msg : "unknown");
            free(buf); gzclose(f); return NULL;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    int code; const char *msg = gzerror(f, &code);
    if (code != Z_OK && code != Z_STREAM_END) {
        snprintf(err, errlen, "truncated or corrupt gzip data (%s)", msg ? msg : "unknown");
        free(buf); gzclose(f); return NULL;
    }
    gzclose(f);
    if (len > max_bytes) { free(buf); snprintf(err, errlen, "more than %zu bytes uncompressed", max_bytes); return NULL; }
    *out_len = len;
    return buf;
}
