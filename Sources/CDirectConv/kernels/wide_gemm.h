// A matrix product with the filters in the vector lanes (see cf_wide_gemm in
// direct_conv.h). AVX-512 only (isa_avx512.c includes it): 48 filters are
// three vectors.

// A tile: 3 vectors of 16 filters by 8 columns, 24 sums in registers. Each
// row of x adds 3 weight vectors (each from two of cf_conv_pack's 8-filter
// panels, the direct kernel's layout, so that one packing serves both) and 8
// broadcast values: 14 loads for 24 fused multiply-adds, where the direct
// kernel's one-vector tiles load as many values as they multiply.
#define BLOCK 48
#define COLUMNS 8
#define PANEL 8  // cf_conv_pack's panels: 8 filters, tap-major (the AVX-512 build's ROWS)

static inline __attribute__((always_inline))
void wide_tile(const int n, const float *const *half, int k, const float *x, long ldx, int q, const float *bias,
               __m512 lo, __m512 hi, float *out, long ldo, int o, int m) {
    __m512 acc[3][COLUMNS];
    UNROLL
    for (int r = 0; r < 3; r++) {
        int left = m - (o + 16 * r);
        __mmask16 live = (__mmask16)(left >= 16 ? 0xFFFF : left > 0 ? (1u << left) - 1 : 0);
        __m512 start = bias ? _mm512_maskz_loadu_ps(live, bias + o + 16 * r) : _mm512_setzero_ps();
        UNROLL
        for (int p = 0; p < n; p++) acc[r][p] = start;
    }
    const float *xq = x + q;
    for (int c = 0; c < k; c++) {
        const float *xc = xq + (long)c * ldx;
        __m512 w[3];
        UNROLL
        for (int r = 0; r < 3; r++)  // 16 filters from two panels' rows of this tap
            w[r] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(half[2 * r] + c * PANEL)),
                                      _mm256_loadu_ps(half[2 * r + 1] + c * PANEL), 1);
        UNROLL
        for (int p = 0; p < n; p++) {
            __m512 b = _mm512_set1_ps(xc[p]);
            UNROLL
            for (int r = 0; r < 3; r++) acc[r][p] = _mm512_fmadd_ps(w[r], b, acc[r][p]);
        }
    }
    // Filter o + 16r + lane's value of column q + p goes to out[(o + 16r + lane) * ldo + q + p].
    const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi32((int)ldo));
    UNROLL
    for (int r = 0; r < 3; r++) {
        int left = m - (o + 16 * r);
        if (left <= 0) break;
        __mmask16 keep = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1);
        float *base = out + (long)(o + 16 * r) * ldo + q;
        UNROLL
        for (int p = 0; p < n; p++)
            _mm512_mask_i32scatter_ps(base + p, keep, rows, _mm512_min_ps(_mm512_max_ps(acc[r][p], lo), hi), 4);
    }
}

void CF(wide_gemm)(const float *packed, int k, int m, const float *x, long ldx, int n, const float *bias, float lo,
                  float hi, float *out, long ldo, int block0, int block1) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const int panels = (m + PANEL - 1) / PANEL;
    float *zeros = NULL;  // stands in for the panels past the last (the last block's missing filters)
    for (int b = block0; b < block1; b++) {
        const float *half[6];
        for (int h = 0; h < 6; h++) {
            int panel = b * 6 + h;
            if (panel >= panels && !zeros && !(zeros = calloc((size_t)k * PANEL, sizeof(float)))) abort();
            half[h] = panel < panels ? packed + (long)panel * k * PANEL : zeros;
        }
        int q = 0;
        for (; q + COLUMNS <= n; q += COLUMNS)
            wide_tile(COLUMNS, half, k, x, ldx, q, bias, vlo, vhi, out, ldo, b * BLOCK, m);
        switch (n - q) {  // constant counts, so that the sums stay in registers
        case 7: wide_tile(7, half, k, x, ldx, q, bias, vlo, vhi, out, ldo, b * BLOCK, m); break;
        case 6: wide_tile(6, half, k, x, ldx, q, bias, vlo, vhi, out, ldo, b * BLOCK, m); break;
        case 5: wide_tile(5, half, k, x, ldx, q, bias, vlo, vhi, out, ldo, b * BLOCK, m); break;
        case 4: wide_tile(4, half, k, x, ldx, q, bias, vlo, vhi, out, ldo, b * BLOCK, m); break;
        case 3: wide_tile(3, half, k, x, ldx, q, bias, vlo, vhi, out, ldo, b * BLOCK, m); break;
        case 2: wide_tile(2, half, k, x, ldx, q, bias, vlo, vhi, out, ldo, b * BLOCK, m); break;
        case 1: wide_tile(1, half, k, x, ldx, q, bias, vlo, vhi, out, ldo, b * BLOCK, m); break;
        default: break;
        }
    }
    free(zeros);
}

