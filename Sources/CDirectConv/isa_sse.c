// The kernels for any x86-64 CPU: SSE2's 4-float vectors, no fused
// multiply-adds (the x86-64 baseline the package is compiled for).
#include <stdlib.h>
#include <string.h>

#define LANES 4
#define CF_AVX512 0
#define CF_SUFFIX _sse
#define CF_ISA_NAME "sse"

#include "kernels/all.h"
