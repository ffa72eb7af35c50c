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
/// The filters are packed first (`cf_conv_pack`): panels of `cf_conv_rows()`
/// filters, tap-major, so that a tile reads its weights as one sequential
/// stream (rows read side by side, straight from the model's weights, ran at
/// half the speed once those had left the L2 cache: short streams defeat the
/// hardware prefetcher).

/// The kernels are compiled for SSE, AVX2 + FMA and AVX-512 (isa_*.c) and
/// one set runs: the widest this CPU has, or the one the environment variable
/// CNNFILTER_ISA names ("sse", "avx2", "avx512") when the CPU has it.

/// The instruction set whose kernels run ("avx512", "avx2" or "sse").
const char *cf_isa(void);
/// 1 when this CPU runs the named kernels, else 0.
int cf_isa_supported(const char *name);
/// Runs the named kernels from now on (0), or -1 when they are unknown or this
/// CPU lacks them. Filters packed before belong to the previous set: callers
/// switch only between models (the tests run every set the CPU has).
int cf_isa_use(const char *name);

/// Filters per tile (8 with AVX-512, else 4).
int cf_conv_rows(void);
/// Grid positions per tile (48 with AVX-512).
int cf_conv_tile_width(void);
/// Floats per SIMD vector of the running kernels (16 with AVX-512, 8 with AVX2, 4 with SSE).
int cf_conv_lanes(void);
/// Floats the caller must keep readable past the last value it needs:
/// `cf_conv_run` reads whole vectors.
int cf_conv_slack(void);

/// Packs m filters of k weights (row-major, row stride ldw) into
/// ceil(m / rows) panels of k * rows floats, tap-major; rows past m are zero.
void cf_conv_pack(int m, int k, const float *w, long ldw, float *packed);

/// Computes filters [row0, row1) (row0 a multiple of cf_conv_rows()) for grid
/// positions [q0, q1), clamped to [lo, hi]; bias may be NULL. Grid position q
/// is output row q / pitch, column q % pitch: filter o's value goes to
/// out[o * ldo + row * width + column] when column < width, and is dropped
/// otherwise. Reads x[t][q] for q in [q0, q1 + cf_conv_slack() - 1).
///
/// `panelMajor` nonzero: panel after panel of filters, each along the whole
/// column range, so that the output is written as a few sequential streams
/// (tile by tile it is one stream per filter, too many for the hardware
/// prefetcher: the stores then wait on memory); measured 2-4x faster for 1x1
/// convolutions with few taps on large planes. Zero: tile after tile of
/// columns, every panel over each, so that what a tile reads (up to 9 taps per
/// input channel for a 3x3 kernel) stays in the L1 cache.
void cf_conv_run(const float *packed, int k, int row0, int row1, const float *const *x, int q0, int q1,
                 const float *bias, float lo, float hi, float *out, long ldo, int pitch, int width, int panelMajor);

/// Phase planes of one padded input plane (h x w, row-major): phase (py, px),
/// at planes + (py * sx + px) * phaseSize, row r (r <= rows), column j
/// (j < pitch) holds input row r * sy + py - top, column j * sx + px - left,
/// or `padding` outside the input; row `rows` is all padding.
void cf_fill_phases(const float *src, int h, int w, int sy, int sx, int top, int left, int rows, int pitch,
                    float *planes, long phaseSize, float padding);

/// One plane of a depthwise convolution on grid positions [0, count):
/// bias + sum_t w[t] * x[t][i], clamped to [lo, hi], stored as cf_conv_run
/// stores (row i / pitch, column i % pitch of a plane `width` wide; wider
/// columns dropped). Reads whole vectors: up to cf_conv_slack() - 1 past count.
void cf_depthwise_plane(const float *const *x, const float *w, int k, int count, float bias, float lo, float hi,
                        float *out, int pitch, int width);

/// 1 when the running kernels have cf_depthwise_flat (AVX-512), else 0.
int cf_depthwise_flat_available(void);

/// A depthwise convolution's output plane (oh x ow, contiguous) computed as
/// one flat run of count = oh * ow positions, 16 to a vector, with no padded
/// copy of the input: tap t of position i reads plane[i + offsets[t]] where
/// its mask allows, zero elsewhere. For that to hold, each tap reads an
/// unpadded plane whose rows are ow floats apart (the input itself at stride 1
/// when it is as wide as the output, else a phase plane from cf_split_phases),
/// shifted by tapRow rows and tapCol columns; the masks stand for the padding.
///
/// cf_depthwise_flat_masks fills masks[v * taps + t] (v < ceil(count / 16)):
/// lane j is set when position i = 16v + j < count, at output row y and
/// column x, has 0 <= y + tapRow[t] < rows[t] and 0 <= x + tapCol[t] < cols[t]
/// (the size of the plane tap t reads). The same masks serve every plane.
void cf_depthwise_flat_masks(int oh, int ow, int taps, const int *tapRow, const int *tapCol, const int *rows,
                             const int *cols, uint16_t *masks);

/// out[i] = clamp(bias + sum_t w[t] * plane[i + offsets[t]] (masked), lo, hi) for i < count.
void cf_depthwise_flat(const float *plane, const long *offsets, const float *w, int taps, const uint16_t *masks,
                       long count, float bias, float lo, float hi, float *out);

/// The sy x sx phases of an h x w plane, unpadded, rows `pitch` floats apart:
/// phase (py, px) at dst + (py * sx + px) * phaseSize, row r, column j holds
/// src[(r * sy + py) * w + j * sx + px] (ceil((w - px) / sx) <= pitch columns).
void cf_split_phases(const float *src, int h, int w, int sy, int sx, int pitch, float *dst, long phaseSize);

/// One plane of max pooling: max over t of x[t][i], stored as cf_depthwise_plane stores.
void cf_max_plane(const float *const *x, int k, int count, float *out, int pitch, int width);

/// Winograd's F(2x2, 3x3): a 3x3 convolution at stride 1 as 16 products of
/// transformed weights U (16 matrices, filters x channels, from the caller)
/// and transformed input tiles V, then an output transform. Each 2x2 output
/// tile (ty, tx), th x tw of them, reads a 4x4 input tile, d[i][k] at
/// d[i * 4 + k][ty * pitch + tx]: the phase planes of a 4x4 kernel at stride 2.
///
/// cf_winograd_input: V = B^T d B for every tile of one channel, V[xi][t] at
/// v + xi * matrix + t (t = ty * tw + tx; xi = i * 4 + k); writes whole
/// vectors, up to cf_conv_slack() - 1 floats past t = th * tw - 1, and reads
/// as far past each tap's last tile.
void cf_winograd_input(const float *const *d, int pitch, int th, int tw, float *v, long matrix);

/// cf_winograd_output: one filter's 2x2 tiles Y = A^T M A + bias, clamped to
/// [lo, hi], into its oh x ow output plane (what falls outside is dropped),
/// from M[xi][t] at m + xi * matrix + t; reads whole vectors past the last t.
void cf_winograd_output(const float *m, long matrix, int th, int tw, float bias, float lo, float hi, float *out,
                        int oh, int ow);

/// y[i] = 1 / (1 + e^-x[i]) for i < n, vectorised (e^x within about 1e-7
/// relative of libm's); NaN stays NaN; y may be x.
void cf_sigmoid(const float *x, float *y, long n);

/// A product with the filters in the vector lanes, for outputs with few
/// columns (a 7x7 plane, Winograd's 16 tiles of one), where the direct
/// kernel's tiles of one vector of columns load a weight per multiply-add and
/// round 49 columns up to 64:
///     out[o * ldo + q] = clamp(bias[o] + sum_c W[o][c] * x[c * ldx + q], lo, hi)   (o < m, q < n)
/// over blocks [block0, block1) of cf_wide_gemm_rows() filters, with W packed
/// by cf_conv_pack (as for cf_conv_run); bias may be NULL. Reads exactly the
/// columns q < n. cf_wide_gemm_rows() is 48 with AVX-512 and 0 (not
/// available: the callers use cf_conv_run) otherwise; ldo * 47 must fit 32 bits.
int cf_wide_gemm_rows(void);
void cf_wide_gemm(const float *packed, int k, int m, const float *x, long ldx, int n, const float *bias, float lo,
                  float hi, float *out, long ldo, int block0, int block1);

#endif
