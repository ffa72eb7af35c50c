// The public kernels of direct_conv.h, forwarded to one instruction set's
// table: the widest the CPU runs, or the one CNNFILTER_ISA names. Chosen on
// first use and kept, since packed filters (cf_conv_pack) fit one table only.
#include "direct_conv.h"
#include "kernels/isa_table.h"
#include <stdlib.h>
#include <string.h>

static const struct cf_kernels *const tables[] = {&cf_kernels_avx512, &cf_kernels_avx2, &cf_kernels_sse};
static const struct cf_kernels *chosen;

int cf_isa_supported(const char *name) {
    __builtin_cpu_init();
    if (strcmp(name, "sse") == 0) return 1;
    if (strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (strcmp(name, "avx512") == 0)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("fma");
    return 0;
}

static const struct cf_kernels *named(const char *name) {
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (strcmp(tables[i]->name, name) == 0 && cf_isa_supported(name)) return tables[i];
    return NULL;
}

int cf_isa_use(const char *name) {
    const struct cf_kernels *t = named(name);
    if (!t) return -1;
    __atomic_store_n(&chosen, t, __ATOMIC_RELEASE);
    return 0;
}

// Racing first calls all compute the same table.
static const struct cf_kernels *k(void) {
    const struct cf_kernels *t = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (t) return t;
    const char *wanted = getenv("CNNFILTER_ISA");
    t = wanted ? named(wanted) : NULL;
    for (size_t i = 0; !t; i++)
        if (cf_isa_supported(tables[i]->name)) t = tables[i];
    __atomic_store_n(&chosen, t, __ATOMIC_RELEASE);
    return t;
}

const char *cf_isa(void) { return k()->name; }
int cf_conv_rows(void) { return k()->rows; }
int cf_conv_lanes(void) { return k()->lanes; }
int cf_conv_tile_width(void) { return k()->tile_width; }
int cf_conv_slack(void) { return k()->slack; }
int cf_wide_gemm_rows(void) { return k()->wide_gemm_rows; }
int cf_depthwise_flat_available(void) { return k()->depthwise_flat != NULL; }

void cf_conv_pack(int m, int kk, const float *w, long ldw, float *packed) { k()->conv_pack(m, kk, w, ldw, packed); }

void cf_conv_run(const float *packed, int kk, int row0, int row1, const float *const *x, int q0, int q1,
                 const float *bias, float lo, float hi, float *out, long ldo, int pitch, int width, int panelMajor) {
    k()->conv_run(packed, kk, row0, row1, x, q0, q1, bias, lo, hi, out, ldo, pitch, width, panelMajor);
}

void cf_fill_phases(const float *src, int h, int w, int sy, int sx, int top, int left, int rows, int pitch,
                    float *planes, long phaseSize, float padding) {
    k()->fill_phases(src, h, w, sy, sx, top, left, rows, pitch, planes, phaseSize, padding);
}

void cf_depthwise_plane(const float *const *x, const float *w, int kk, int count, float bias, float lo, float hi,
                        float *out, int pitch, int width) {
    k()->depthwise_plane(x, w, kk, count, bias, lo, hi, out, pitch, width);
}

void cf_split_phases(const float *src, int h, int w, int sy, int sx, int pitch, float *dst, long phaseSize) {
    k()->split_phases(src, h, w, sy, sx, pitch, dst, phaseSize);
}

void cf_max_plane(const float *const *x, int kk, int count, float *out, int pitch, int width) {
    k()->max_plane(x, kk, count, out, pitch, width);
}

void cf_winograd_input(const float *const *d, int pitch, int th, int tw, float *v, long matrix) {
    k()->winograd_input(d, pitch, th, tw, v, matrix);
}

void cf_winograd_output(const float *m, long matrix, int th, int tw, float bias, float lo, float hi, float *out,
                        int oh, int ow) {
    k()->winograd_output(m, matrix, th, tw, bias, lo, hi, out, oh, ow);
}

void cf_sigmoid(const float *x, float *y, long n) { k()->sigmoid(x, y, n); }

// The three below are called only where cf_depthwise_flat_available() or cf_wide_gemm_rows() said so.
void cf_depthwise_flat_masks(int oh, int ow, int taps, const int *tapRow, const int *tapCol, const int *rows,
                             const int *cols, uint16_t *masks) {
    if (!k()->depthwise_flat_masks) abort();
    k()->depthwise_flat_masks(oh, ow, taps, tapRow, tapCol, rows, cols, masks);
}

void cf_depthwise_flat(const float *plane, const long *offsets, const float *w, int taps, const uint16_t *masks,
                       long count, float bias, float lo, float hi, float *out) {
    if (!k()->depthwise_flat) abort();
    k()->depthwise_flat(plane, offsets, w, taps, masks, count, bias, lo, hi, out);
}

void cf_wide_gemm(const float *packed, int kk, int m, const float *x, long ldx, int n, const float *bias, float lo,
                  float hi, float *out, long ldo, int block0, int block1) {
    if (!k()->wide_gemm) abort();
    k()->wide_gemm(packed, kk, m, x, ldx, n, bias, lo, hi, out, ldo, block0, block1);
}
