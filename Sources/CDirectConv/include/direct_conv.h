#ifndef CNNFILTER_DIRECT_CONV_H
#define CNNFILTER_DIRECT_CONV_H

#include <stdint.h>

/// A convolution as a matrix product whose right-hand side is never built:
///
///     out[o][q] = bias[o] + sum_k  w[o][k] * x[k][q]
///
/// Each of the K taps (input channel, kernel row, kernel column) reads the
/// input from its own fixed place x[k], so a tap's row of the implicit matrix
/// is a contiguous run of floats. The caller lays the input out so that this holds for
/// any stride, padding and dilation (zero-padded stride-phase planes, see
/// DirectConv.swift) and q runs over an output grid as wide as those planes.
///
/// The weights are read where they are (filter o's K weights at w + o * ldw):
/// a tile of `cf_conv_rows()` filters walks that many rows side by side, one
/// weight of each per tap, which the hardware prefetcher follows as well as
/// a packed copy and saves re-packing every filter on every call.

/// Filters per tile (8 with AVX-512, else 4).
int cf_conv_rows(void);
/// Grid positions per tile (48 with AVX-512).
int cf_conv_tile_width(void);
/// Floats per SIMD vector of this build (16 with AVX-512, 8 with AVX, 4 otherwise).
int cf_conv_lanes(void);
/// Floats the caller must keep readable past the last value it needs:
/// `cf_conv_run` reads whole vectors.
int cf_conv_slack(void);

/// Computes filters [row0, row1) for grid positions [q0, q1):
/// out[o * ldo + q], clamped to [lo, hi]; bias may be NULL. Reads
/// x[t][q] for q in [q0, q1 + cf_conv_slack() - 1). Taps go in
/// blocks of `block` (whole input channels, sized by the caller so that what
/// a block reads for one tile of columns fits the L1 cache).
void cf_conv_run(const float *w, long ldw, int k, int block, int row0, int row1,
                 const float *const *x, int q0, int q1,
                 const float *bias, float lo, float hi, float *out, long ldo);

/// One plane of a depthwise convolution: out[i] = bias + sum_t w[t] * x[t][i]
/// for i in [0, count), clamped to [lo, hi]; every tap in one pass.
void cf_depthwise_plane(const float *const *x, const float *w, int k, int count, float bias, float lo, float hi,
                        float *out);

/// One plane of max pooling: out[i] = max over t of x[t][i], i in [0, count).
void cf_max_plane(const float *const *x, int k, int count, float *out);

/// Splits `pairs` pairs of src into their first (even) and second (odd) values.
void cf_deinterleave(const float *src, int pairs, float *even, float *odd);

#endif
