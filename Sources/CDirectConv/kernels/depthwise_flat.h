// Depthwise convolution on the output plane as one flat run of vectors (see
// cf_depthwise_flat in direct_conv.h). AVX-512 only (isa_avx512.c includes it):
// its masked loads stand in for the zero padding, so the input is read in
// place (stride 1) or from unpadded phase planes (larger strides).

// Vectors of one plane computed side by side: each sum is a chain of fused
// multiply-adds, one per tap; eight independent chains keep the FMA units busy.
#define AT_ONCE 8

void CF(depthwise_flat_masks)(int oh, int ow, int taps, const int *tapRow, const int *tapCol, const int *rows,
                             const int *cols, uint16_t *masks) {
    const long count = (long)oh * ow, vectors = (count + 15) / 16;
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    // Each lane's output row and column, advanced by 16 positions per vector.
    __m512i y = _mm512_setzero_si512(), x = lane;
    const __m512i width = _mm512_set1_epi32(ow), sixteen = _mm512_set1_epi32(16), one = _mm512_set1_epi32(1);
    // Lanes start at columns 0..15: wrap them into rows once (ow may be below 16).
    for (int k = 0; k < 16; k++) {
        __mmask16 wrap = _mm512_cmpge_epi32_mask(x, width);
        x = _mm512_mask_sub_epi32(x, wrap, x, width);
        y = _mm512_mask_add_epi32(y, wrap, y, one);
    }
    for (long v = 0; v < vectors; v++) {
        __mmask16 live = (__mmask16)(count - v * 16 >= 16 ? 0xFFFF : (1u << (count - v * 16)) - 1);
        for (int t = 0; t < taps; t++) {
            // Unsigned compares: row + tapRow in [0, rows) and column + tapCol in [0, cols).
            __m512i r = _mm512_add_epi32(y, _mm512_set1_epi32(tapRow[t]));
            __m512i c = _mm512_add_epi32(x, _mm512_set1_epi32(tapCol[t]));
            masks[v * taps + t] = live & _mm512_cmplt_epu32_mask(r, _mm512_set1_epi32(rows[t]))
                                       & _mm512_cmplt_epu32_mask(c, _mm512_set1_epi32(cols[t]));
        }
        // The next vector: 16 positions on, as many wraps into the next row as that takes.
        x = _mm512_add_epi32(x, sixteen);
        for (int k = 0; k < 16; k++) {
            __mmask16 wrap = _mm512_cmpge_epi32_mask(x, width);
            if (!wrap) break;
            x = _mm512_mask_sub_epi32(x, wrap, x, width);
            y = _mm512_mask_add_epi32(y, wrap, y, one);
        }
    }
}

// Masked-off lanes are never read, so a tap's address may lie outside the plane: computed as an
// integer, not with pointer arithmetic past the plane.
static inline __m512 tap_load(const float *plane, long at, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, (const float *)((__INTPTR_TYPE__)plane + (__INTPTR_TYPE__)(at * (long)sizeof(float))));
}

static inline __attribute__((always_inline))
void vectors(const int n, const float *plane, const long *offsets, const float *w, int taps, const uint16_t *masks,
             long i, __m512 start, __m512 lo, __m512 hi, float *out, long count) {
    __m512 acc[AT_ONCE];
    UNROLL
    for (int j = 0; j < n; j++) acc[j] = start;
    for (int t = 0; t < taps; t++) {
        __m512 weight = _mm512_set1_ps(w[t]);
        long at = i + offsets[t];
        UNROLL
        for (int j = 0; j < n; j++)
            acc[j] = _mm512_fmadd_ps(tap_load(plane, at + 16 * j, masks[j * taps + t]), weight, acc[j]);
    }
    UNROLL
    for (int j = 0; j < n; j++) {
        long left = count - i - 16 * j;
        __mmask16 keep = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1);
        _mm512_mask_storeu_ps(out + i + 16 * j, keep, _mm512_min_ps(_mm512_max_ps(acc[j], lo), hi));
    }
}

void CF(depthwise_flat)(const float *plane, const long *offsets, const float *w, int taps, const uint16_t *masks,
                       long count, float bias, float lo, float hi, float *out) {
    const __m512 start = _mm512_set1_ps(bias), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const long vectorCount = (count + 15) / 16;
    long v = 0;
    for (; v + AT_ONCE <= vectorCount; v += AT_ONCE)
        vectors(AT_ONCE, plane, offsets, w, taps, masks + v * taps, v * 16, start, vlo, vhi, out, count);
    switch (vectorCount - v) {  // constant counts, so that the sums stay in registers
    case 7: vectors(7, plane, offsets, w, taps, masks + v * taps, v * 16, start, vlo, vhi, out, count); break;
    case 6: vectors(6, plane, offsets, w, taps, masks + v * taps, v * 16, start, vlo, vhi, out, count); break;
    case 5: vectors(5, plane, offsets, w, taps, masks + v * taps, v * 16, start, vlo, vhi, out, count); break;
    case 4: vectors(4, plane, offsets, w, taps, masks + v * taps, v * 16, start, vlo, vhi, out, count); break;
    case 3: vectors(3, plane, offsets, w, taps, masks + v * taps, v * 16, start, vlo, vhi, out, count); break;
    case 2: vectors(2, plane, offsets, w, taps, masks + v * taps, v * 16, start, vlo, vhi, out, count); break;
    case 1: vectors(1, plane, offsets, w, taps, masks + v * taps, v * 16, start, vlo, vhi, out, count); break;
    default: break;
    }
}

