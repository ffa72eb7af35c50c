// The transforms of Winograd's F(2x2, 3x3) convolution (see cf_winograd_input
// and cf_winograd_output in direct_conv.h), LANES tiles at a time.

#pragma clang fp contract(fast)

void CF(winograd_input)(const float *const *d, int pitch, int th, int tw, float *v, long matrix) {
    for (int ty = 0; ty < th; ty++) {
        for (int tx = 0; tx < tw; tx += LANES) {
            long at = (long)ty * pitch + tx;
            vf x[4][4];
            UNROLL
            for (int i = 0; i < 4; i++) {
                UNROLL
                for (int k = 0; k < 4; k++) x[i][k] = load(d[i * 4 + k] + at);
            }
            // B^T x: rows x0 - x2, x1 + x2, x2 - x1, x1 - x3; then the same on the columns.
            vf r[4][4];
            UNROLL
            for (int k = 0; k < 4; k++) {
                r[0][k] = x[0][k] - x[2][k];
                r[1][k] = x[1][k] + x[2][k];
                r[2][k] = x[2][k] - x[1][k];
                r[3][k] = x[1][k] - x[3][k];
            }
            float *out = v + (long)ty * tw + tx;
            UNROLL
            for (int i = 0; i < 4; i++) {
                store(out + (i * 4 + 0) * matrix, r[i][0] - r[i][2]);
                store(out + (i * 4 + 1) * matrix, r[i][1] + r[i][2]);
                store(out + (i * 4 + 2) * matrix, r[i][2] - r[i][1]);
                store(out + (i * 4 + 3) * matrix, r[i][1] - r[i][3]);
            }
        }
    }
}

// a0 b0 a1 b1 ... : the first and the second half.
static inline void interleave(vf a, vf b, vf *lo, vf *hi) {
#if LANES == 16
    *lo = __builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    *hi = __builtin_shufflevector(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
#elif LANES == 8
    *lo = __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
    *hi = __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
#else
    *lo = __builtin_shufflevector(a, b, 0, 4, 1, 5);
    *hi = __builtin_shufflevector(a, b, 2, 6, 3, 7);
#endif
}

// Columns [0, n) of a row from the interleaved pair (n <= 2 * LANES).
static inline void store_row(float *row, vf lo, vf hi, int n) {
    if (n >= LANES) {
        store(row, lo);
        if (n >= 2 * LANES) store(row + LANES, hi);
        else if (n > LANES) store_part(row + LANES, hi, n - LANES);
    } else if (n > 0) {
        store_part(row, lo, n);
    }
}

void CF(winograd_output)(const float *m, long matrix, int th, int tw, float bias, float lo, float hi, float *out,
                        int oh, int ow) {
    vf vlo = (vf)lo, vhi = (vf)hi;
    for (int ty = 0; ty < th; ty++) {
        for (int tx = 0; tx < tw; tx += LANES) {
            const float *at = m + (long)ty * tw + tx;
            vf x[4][4];
            UNROLL
            for (int i = 0; i < 4; i++) {
                UNROLL
                for (int k = 0; k < 4; k++) x[i][k] = load(at + (i * 4 + k) * matrix);
            }
            // A^T x A: rows x0 + x1 + x2 and x1 - x2 - x3, then the same on the columns.
            vf s[2][4];
            UNROLL
            for (int k = 0; k < 4; k++) {
                s[0][k] = x[0][k] + x[1][k] + x[2][k];
                s[1][k] = x[1][k] - x[2][k] - x[3][k];
            }
            int n = 2 * (tw - tx < LANES ? tw - tx : LANES), left = ow - 2 * tx;
            if (left < n) n = left;
            UNROLL
            for (int i = 0; i < 2; i++) {
                if (2 * ty + i >= oh) continue;
                vf y0 = s[i][0] + s[i][1] + s[i][2] + bias, y1 = s[i][1] - s[i][2] - s[i][3] + bias;
                y0 = __builtin_elementwise_min(__builtin_elementwise_max(y0, vlo), vhi);
                y1 = __builtin_elementwise_min(__builtin_elementwise_max(y1, vlo), vhi);
                vf first, second;
                interleave(y0, y1, &first, &second);
                store_row(out + (long)(2 * ty + i) * ow + 2 * tx, first, second, n);
            }
        }
    }
}
