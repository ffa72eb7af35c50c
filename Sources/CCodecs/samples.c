// Conversions between interleaved 8/16-bit samples and planar Float32 rows,
// the two ends of every filter band. In C because its float-to-integer
// conversion does not trap (Swift's does, and checks every sample), so these
// loops vectorise; NaN is mapped to 0 explicitly.
#include "ccodecs.h"

void cc_load_u8(const unsigned char *src, size_t stride, float *dst, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) dst[i] = (float)src[i * stride] * scale;
}

void cc_load_u16(const unsigned short *src, size_t stride, float *dst, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) dst[i] = (float)src[i * stride] * scale;
}

/* v in [0, 1] → round(v · max); outside clipped, NaN → 0. */
static inline float clip(float v, float max) {
    float s = v * max + 0.5f;
    return s > 0.0f ? (s < max ? s : max) : 0.0f; /* false for NaN */
}

void cc_store_u8(const float *src, size_t n, unsigned char *dst, size_t stride) {
    for (size_t i = 0; i < n; i++) dst[i * stride] = (unsigned char)(int)clip(src[i], 255.0f);
}

void cc_store_u16(const float *src, size_t n, unsigned short *dst, size_t stride) {
    for (size_t i = 0; i < n; i++) dst[i * stride] = (unsigned short)(int)clip(src[i], 65535.0f);
}
