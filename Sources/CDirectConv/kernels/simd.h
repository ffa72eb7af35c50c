// The vector type the C kernels share: clang's vector extensions rather than
// intrinsics, so that one source serves every instruction set. LANES (floats
// per vector) comes from the isa_*.c file that includes the kernels.
#ifndef CNNFILTER_SIMD_H
#define CNNFILTER_SIMD_H

#include <string.h>

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
