// The inner kernels of cnnfilter's direct convolution (see direct_conv.h).
// Written with clang's vector extensions rather than intrinsics so that one
// source serves every x86-64 build: the host-CPU build (-march=native) gets
// 16-float AVX-512 vectors and fused multiply-adds, the portable build SSE.
#include "direct_conv.h"
#include <string.h>

#pragma clang fp contract(fast)

// A tile is ROWS filters by up to WIDEST vectors of grid positions: 24 of
// AVX-512's 32 registers hold its sums (12 of the 16 otherwise), the rest the
// x vectors and a broadcast weight. (6 x 4 vectors measured slower: clang
// keeps those sums in memory.)
#if defined(__AVX512F__)
#define LANES 16
#define ROWS 8
#define WIDEST 3
#elif defined(__AVX__)
#define LANES 8
#define ROWS 4
#define WIDEST 3
#else
#define LANES 4
#define ROWS 4
#define WIDEST 3
#endif

typedef float vf __attribute__((ext_vector_type(LANES)));

static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, vf v) { memcpy(p, &v, sizeof v); }
// The first n floats only. Out of line, so that no stack buffer appears in
// the tile: clang then keeps the tile's sums in memory.
static __attribute__((noinline)) vf load_part(const float *p, int n) {
    float part[LANES] = {0};
    memcpy(part, p, (size_t)n * sizeof(float));
    return load(part);
}
static __attribute__((noinline)) void store_part(float *p, vf v, int n) {
    float part[LANES];
    store(part, v);
    memcpy(p, part, (size_t)n * sizeof(float));
}

int cf_conv_rows(void) { return ROWS; }
int cf_conv_lanes(void) { return LANES; }
int cf_conv_tile_width(void) { return WIDEST * LANES; }
int cf_conv_slack(void) { return LANES; }

// One tile: `rows` (<= ROWS) filters by `count` (<= nv * LANES) grid
// positions from q, over taps [0, k) of the block the pointers start at.
// nv is a constant at every call, so the accumulators are registers once
// this is inlined. Rows past `rows` repeat the first filter (their sums are
// dropped) so that no weight outside the block is read. The first tap block
// starts from the bias, later ones from what the earlier blocks stored; only
// the last clamps.
static inline __attribute__((always_inline))
void tile(const int nv, const float *w, long ldw, int k, int rows, const float *const *x, int q,
          int count, const float *bias, int first, int last, float lo, float hi, float *out, long ldo) {
    const float *wr[ROWS];
    vf acc[ROWS][WIDEST];
    for (int r = 0; r < ROWS; r++) {
        wr[r] = w + (r < rows ? r : 0) * ldw;
        const float *from = out + (r < rows ? r : 0) * ldo + q;
        float b = bias && r < rows ? bias[r] : 0.0f;
        for (int v = 0; v < nv; v++) {
            int left = count - v * LANES;
            if (first) {
                acc[r][v] = (vf)b;
            } else if (left >= LANES) {
                acc[r][v] = load(from + v * LANES);
            } else {
                acc[r][v] = load_part(from + v * LANES, left > 0 ? left : 0);
            }
        }
    }
    for (int t = 0; t < k; t++) {
        const float *xp = x[t] + q;
        vf xv[WIDEST];
        for (int v = 0; v < nv; v++) xv[v] = load(xp + v * LANES);
        for (int r = 0; r < ROWS; r++) {
            float wt = wr[r][t];
            for (int v = 0; v < nv; v++) acc[r][v] += xv[v] * wt;
        }
    }
    vf vlo = (vf)lo, vhi = (vf)hi;
    for (int r = 0; r < rows; r++) {
        float *dst = out + r * ldo + q;
        for (int v = 0; v < nv; v++) {
            vf y = last ? __builtin_elementwise_min(__builtin_elementwise_max(acc[r][v], vlo), vhi) : acc[r][v];
            int left = count - v * LANES;
            if (left >= LANES) {
                store(dst + v * LANES, y);
            } else if (left > 0) {
                store_part(dst + v * LANES, y, left);
            }
        }
    }
}

// Taps in blocks of `block`, so that the input a column tile reads through one
// block stays in the L1 cache while every panel of filters passes over it.
void cf_conv_run(const float *w, long ldw, int k, int block, int row0, int row1,
                 const float *const *x, int q0, int q1,
                 const float *bias, float lo, float hi, float *out, long ldo) {
    const int wide = WIDEST * LANES;
    if (block < 1) block = k;
    for (int t0 = 0; t0 < k; t0 += block) {
        int kn = k - t0 < block ? k - t0 : block, first = t0 == 0, last = t0 + kn == k;
        for (int q = q0; q < q1; q += wide) {
            int count = q1 - q < wide ? q1 - q : wide;
            for (int o = row0; o < row1; o += ROWS) {
                const float *wo = w + (long)o * ldw + t0;
                int rows = row1 - o < ROWS ? row1 - o : ROWS;
                const float *b = bias ? bias + o : 0;
                float *y = out + (long)o * ldo;
                switch ((count + LANES - 1) / LANES) {
                case 1: tile(1, wo, ldw, kn, rows, x + t0, q, count, b, first, last, lo, hi, y, ldo); break;
                case 2: tile(2, wo, ldw, kn, rows, x + t0, q, count, b, first, last, lo, hi, y, ldo); break;
                default: tile(3, wo, ldw, kn, rows, x + t0, q, count, b, first, last, lo, hi, y, ldo); break;
                }
            }
        }
    }
}

void cf_depthwise_plane(const float *const *x, const float *w, int k, int count, float bias, float lo, float hi,
                        float *out) {
    vf vlo = (vf)lo, vhi = (vf)hi;
    int i = 0;
    for (; i + 2 * LANES <= count; i += 2 * LANES) {
        vf a0 = (vf)bias, a1 = (vf)bias;
        for (int t = 0; t < k; t++) {
            a0 += load(x[t] + i) * w[t];
            a1 += load(x[t] + i + LANES) * w[t];
        }
        store(out + i, __builtin_elementwise_min(__builtin_elementwise_max(a0, vlo), vhi));
        store(out + i + LANES, __builtin_elementwise_min(__builtin_elementwise_max(a1, vlo), vhi));
    }
    for (; i < count; i++) {
        float a = bias;
        for (int t = 0; t < k; t++) a += x[t][i] * w[t];
        out[i] = a < lo ? lo : (a > hi ? hi : a);
    }
}

void cf_deinterleave(const float *src, int pairs, float *even, float *odd) {
    int i = 0;
    for (; i + LANES <= pairs; i += LANES) {
        vf a = load(src + 2 * i), b = load(src + 2 * i + LANES);
#if LANES == 16
        vf e = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        vf o = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
#elif LANES == 8
        vf e = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
        vf o = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
#else
        vf e = __builtin_shufflevector(a, b, 0, 2, 4, 6);
        vf o = __builtin_shufflevector(a, b, 1, 3, 5, 7);
#endif
        store(even + i, e);
        store(odd + i, o);
    }
    for (; i < pairs; i++) {
        even[i] = src[2 * i];
        odd[i] = src[2 * i + 1];
    }
}

void cf_max_plane(const float *const *x, int k, int count, float *out) {
    int i = 0;
    for (; i + 2 * LANES <= count; i += 2 * LANES) {
        vf a0 = load(x[0] + i), a1 = load(x[0] + i + LANES);
        for (int t = 1; t < k; t++) {
            a0 = __builtin_elementwise_max(a0, load(x[t] + i));
            a1 = __builtin_elementwise_max(a1, load(x[t] + i + LANES));
        }
        store(out + i, a0);
        store(out + i + LANES, a1);
    }
    for (; i < count; i++) {
        float a = x[0][i];
        for (int t = 1; t < k; t++) a = x[t][i] > a ? x[t][i] : a;
        out[i] = a;
    }
}
