// One instruction set's kernels: what the public functions of direct_conv.h
// forward to (dispatch.c picks the table once, from the CPU's features).
#ifndef CNNFILTER_ISA_TABLE_H
#define CNNFILTER_ISA_TABLE_H

#include <stdint.h>

struct cf_kernels {
    const char *name;
    int rows, lanes, tile_width, slack;
    int wide_gemm_rows;  // 0 where wide_gemm is NULL
    void (*conv_pack)(int, int, const float *, long, float *);
    void (*conv_run)(const float *, int, int, int, const float *const *, int, int, const float *, float, float,
                     float *, long, int, int, int);
    void (*fill_phases)(const float *, int, int, int, int, int, int, int, int, float *, long, float);
    void (*depthwise_plane)(const float *const *, const float *, int, int, float, float, float, float *, int, int);
    void (*split_phases)(const float *, int, int, int, int, int, float *, long);
    void (*max_plane)(const float *const *, int, int, float *, int, int);
    void (*winograd_input)(const float *const *, int, int, int, float *, long);
    void (*winograd_output)(const float *, long, int, int, float, float, float, float *, int, int);
    void (*sigmoid)(const float *, float *, long);
    // AVX-512 only (masked loads and stores, scatters): NULL elsewhere.
    void (*depthwise_flat_masks)(int, int, int, const int *, const int *, const int *, const int *, uint16_t *);
    void (*depthwise_flat)(const float *, const long *, const float *, int, const uint16_t *, long, float, float,
                           float, float *);
    void (*wide_gemm)(const float *, int, int, const float *, long, int, const float *, float, float, float *, long,
                      int, int);
};

extern const struct cf_kernels cf_kernels_sse, cf_kernels_avx2, cf_kernels_avx512;

#endif
