// The kernels for CPUs with AVX-512 (F, DQ, BW, VL: Skylake-SP and later
// Xeons, Zen 4): 16-float vectors, 32 registers, masked loads and stores.
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define LANES 16
#define CF_AVX512 1
#define CF_SUFFIX _avx512
#define CF_ISA_NAME "avx512"

#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), \
                             apply_to = function)
#include "kernels/all.h"
#pragma clang attribute pop
