// The vector type the C kernels share: clang's vector extensions rather than
// intrinsics, so that one source serves every x86-64 build (16-float AVX-512
// vectors in the host-CPU build, SSE in the portable one).
#ifndef CNNFILTER_SIMD_H
#define CNNFILTER_SIMD_H

#include <string.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif

typedef float vf __attribute__((ext_vector_type(LANES)));
// Loops over a tile's rows and vectors are unrolled completely, so that its
// sums are registers, not an array clang keeps in memory.
#define UNROLL _Pragma("clang loop unroll(full)")

static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, vf v) { memcpy(p, &v, sizeof v); }
// The first n floats only. Out of line, so that no stack buffer appears in
// the tile (clang would then keep the tile's sums in memory).
static __attribute__((noinline, unused)) void store_part(float *p, vf v, int n) {
    float part[LANES];
    store(part, v);
    memcpy(p, part, (size_t)n * sizeof(float));
}

#endif
