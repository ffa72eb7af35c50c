// The kernels for CPUs with AVX2 and FMA (Haswell and later, every Zen):
// 8-float vectors, 16 registers, fused multiply-adds.
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define LANES 8
#define CF_AVX512 0
#define CF_SUFFIX _avx2
#define CF_ISA_NAME "avx2"

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "kernels/all.h"
#pragma clang attribute pop
