// Every kernel, compiled once per instruction set: an isa_*.c file defines
// LANES, CF_AVX512 and CF_SUFFIX (the suffix of each kernel's name), sets the
// target for the functions that follow and includes this file, which ends
// with that instruction set's table (cf_kernels_sse, _avx2, _avx512).
#include "isa_table.h"

#define CF_JOIN(a, b, c) a##b##c
#define CF_NAME(a, b, c) CF_JOIN(a, b, c)
#define CF(name) CF_NAME(cf_, name, CF_SUFFIX)

#include "simd.h"
#include "direct.h"
#include "winograd.h"
#include "pointwise.h"
#if CF_AVX512
#include "depthwise_flat.h"
#include "wide_gemm.h"
#endif

const struct cf_kernels CF_NAME(cf_kernels, , CF_SUFFIX) = {
    .name = CF_ISA_NAME,
    .rows = ROWS,
    .lanes = LANES,
    .tile_width = WIDEST * LANES,
    .slack = LANES,
    .conv_pack = CF(conv_pack),
    .conv_run = CF(conv_run),
    .fill_phases = CF(fill_phases),
    .depthwise_plane = CF(depthwise_plane),
    .split_phases = CF(split_phases),
    .max_plane = CF(max_plane),
    .winograd_input = CF(winograd_input),
    .winograd_output = CF(winograd_output),
    .sigmoid = CF(sigmoid),
#if CF_AVX512
    .wide_gemm_rows = BLOCK,
    .depthwise_flat_masks = CF(depthwise_flat_masks),
    .depthwise_flat = CF(depthwise_flat),
    .wide_gemm = CF(wide_gemm),
#endif
};
