// The inner kernels of cnnfilter's direct convolution (see direct_conv.h).
// Written with clang's vector extensions rather than intrinsics so that one
// source serves every instruction set: isa_avx512.c compiles it with 16-float
// vectors, isa_avx2.c with 8 and fused multiply-adds, isa_sse.c with 4.

#pragma clang fp contract(fast)

// A tile is ROWS filters by up to WIDEST vectors of grid positions: 24 of
// AVX-512's 32 registers hold its sums (12 of the 16 otherwise), the rest the
// x vectors and a broadcast weight. (6 x 4 vectors measured slower: clang
// keeps those sums in memory.)
#if LANES == 16
#define ROWS 8
#else
#define ROWS 4
#endif
#define WIDEST 3

// Stores the first n values of v, which belong at grid row `row`, columns
// col, col + 1, ... (wrapping into the next rows at `pitch`), into a filter's
// output plane `width` wide: columns from `width` on are dropped. Within one
// grid row the values keep their order, so with AVX-512 each row the vector
// touches is one store (masked unless the whole vector lands in one row).
static inline void store_grid(float *plane, vf v, int row, int col, int n, int pitch, int width) {
    float *line = plane + (long)row * width;
    int i0 = 0;
    while (i0 < n) {
        int i1 = i0 + (pitch - col) < n ? i0 + (pitch - col) : n;  // the lanes in this grid row
        int kept = i0 + (width - col) < i1 ? i0 + (width - col) : i1;  // ... whose column is < width
        if (kept == LANES && i0 == 0) {
            store(line + col, v);
        } else if (kept > i0) {
#if CF_AVX512
            __mmask16 keep = (__mmask16)(((1u << kept) - 1) & ~((1u << i0) - 1));
            _mm512_mask_storeu_ps(line + col - i0, keep, (__m512)v);
#else
            for (int i = i0; i < kept; i++) line[col + i - i0] = v[i];
#endif
        }
        i0 = i1;
        col = 0;
        line += width;
    }
}

// The grid position after `step` more: (row, col) with col < pitch.
static inline void advance(int *row, int *col, int step, int pitch) {
    *col += step;
    while (*col >= pitch) { *col -= pitch; (*row)++; }
}

// One tile: `rows` (<= ROWS) filters of a packed panel by `count`
// (<= nv * LANES) grid positions from q. nv is a constant at every call, so
// the accumulators are registers once this is inlined.
static inline __attribute__((always_inline))
void tile(const int nv, const float *w, int k, int rows, const float *const *x, int q, int count,
          const float *bias, float lo, float hi, float *out, long ldo, int pitch, int width) {
    vf acc[ROWS][WIDEST];
    UNROLL
    for (int r = 0; r < ROWS; r++) {
        float b = bias && r < rows ? bias[r] : 0.0f;
        UNROLL
        for (int v = 0; v < nv; v++) acc[r][v] = (vf)b;
    }
    for (int t = 0; t < k; t++) {
        const float *xp = x[t] + q;
        vf xv[WIDEST];
        UNROLL
        for (int v = 0; v < nv; v++) xv[v] = load(xp + v * LANES);
        const float *wt = w + (long)t * ROWS;
        UNROLL
        for (int r = 0; r < ROWS; r++) {
            UNROLL
            for (int v = 0; v < nv; v++) acc[r][v] += xv[v] * wt[r];
        }
    }
    vf vlo = (vf)lo, vhi = (vf)hi;
    int row0 = q / pitch, col0 = q - row0 * pitch;
    UNROLL
    for (int r = 0; r < ROWS; r++) {
        if (r >= rows) continue;  // (a constant trip count, so that the loop unrolls)
        float *plane = out + r * ldo;
        int row = row0, col = col0;
        UNROLL
        for (int v = 0; v < nv; v++) {
            vf y = __builtin_elementwise_min(__builtin_elementwise_max(acc[r][v], vlo), vhi);
            int at = q + v * LANES, left = count - v * LANES;
            if (pitch != width) {
                if (left > 0) store_grid(plane, y, row, col, left < LANES ? left : LANES, pitch, width);
                advance(&row, &col, LANES, pitch);
            } else if (left >= LANES) {
                store(plane + at, y);
            } else if (left > 0) {
                store_part(plane + at, y, left);
            }
        }
    }
}

void CF(conv_pack)(int m, int k, const float *w, long ldw, float *packed) {
    for (int o = 0; o < m; o += ROWS) {
        float *panel = packed + (long)(o / ROWS) * k * ROWS;
        for (int r = 0; r < ROWS; r++) {
            const float *row = w + (long)(o + r) * ldw;
            if (o + r < m) { for (int t = 0; t < k; t++) panel[(long)t * ROWS + r] = row[t]; }
            else { for (int t = 0; t < k; t++) panel[(long)t * ROWS + r] = 0.0f; }
        }
    }
}

void CF(conv_run)(const float *packed, int k, int row0, int row1, const float *const *x, int q0, int q1,
                 const float *bias, float lo, float hi, float *out, long ldo, int pitch, int width, int panelMajor) {
    const int wide = WIDEST * LANES;
    for (int outer = 0, outers = panelMajor ? (row1 - row0 + ROWS - 1) / ROWS : (q1 - q0 + wide - 1) / wide;
         outer < outers; outer++) {
        for (int inner = 0, inners = panelMajor ? (q1 - q0 + wide - 1) / wide : (row1 - row0 + ROWS - 1) / ROWS;
             inner < inners; inner++) {
            int o = row0 + (panelMajor ? outer : inner) * ROWS, q = q0 + (panelMajor ? inner : outer) * wide;
            int count = q1 - q < wide ? q1 - q : wide;
            const float *wo = packed + (long)(o / ROWS) * k * ROWS;
            int rows = row1 - o < ROWS ? row1 - o : ROWS;
            const float *b = bias ? bias + o : 0;
            float *y = out + (long)o * ldo;
            switch ((count + LANES - 1) / LANES) {
            case 1: tile(1, wo, k, rows, x, q, count, b, lo, hi, y, ldo, pitch, width); break;
            case 2: tile(2, wo, k, rows, x, q, count, b, lo, hi, y, ldo, pitch, width); break;
            default: tile(3, wo, k, rows, x, q, count, b, lo, hi, y, ldo, pitch, width); break;
            }
        }
    }
}

// The plane kernels below compute whole vectors of grid positions (the caller
// keeps the reads past the grid inside its buffers) and store through
// store_grid, which drops the columns past the output's width.

// Four vectors at a time: each sum is a chain of fused multiply-adds, one per
// tap, and four chains keep the FMA units busy where one waits on the last.
void CF(depthwise_plane)(const float *const *x, const float *w, int k, int count, float bias, float lo, float hi,
                        float *out, int pitch, int width) {
    vf vlo = (vf)lo, vhi = (vf)hi;
    int i = 0, row = 0, col = 0;
    for (; i + 4 * LANES <= count; i += 4 * LANES) {
        vf a[4] = {(vf)bias, (vf)bias, (vf)bias, (vf)bias};
        for (int t = 0; t < k; t++) {
            const float *p = x[t] + i;
            UNROLL
            for (int v = 0; v < 4; v++) a[v] += load(p + v * LANES) * w[t];
        }
        UNROLL
        for (int v = 0; v < 4; v++) {
            store_grid(out, __builtin_elementwise_min(__builtin_elementwise_max(a[v], vlo), vhi), row, col, LANES,
                       pitch, width);
            advance(&row, &col, LANES, pitch);
        }
    }
    for (; i < count; i += LANES) {
        vf a = (vf)bias;
        for (int t = 0; t < k; t++) a += load(x[t] + i) * w[t];
        a = __builtin_elementwise_min(__builtin_elementwise_max(a, vlo), vhi);
        store_grid(out, a, row, col, count - i < LANES ? count - i : LANES, pitch, width);
        advance(&row, &col, LANES, pitch);
    }
}

void CF(max_plane)(const float *const *x, int k, int count, float *out, int pitch, int width) {
    int i = 0, row = 0, col = 0;
    for (; i + 4 * LANES <= count; i += 4 * LANES) {
        vf a[4];
        UNROLL
        for (int v = 0; v < 4; v++) a[v] = load(x[0] + i + v * LANES);
        for (int t = 1; t < k; t++) {
            const float *p = x[t] + i;
            UNROLL
            for (int v = 0; v < 4; v++) a[v] = __builtin_elementwise_max(a[v], load(p + v * LANES));
        }
        UNROLL
        for (int v = 0; v < 4; v++) {
            store_grid(out, a[v], row, col, LANES, pitch, width);
            advance(&row, &col, LANES, pitch);
        }
    }
    for (; i < count; i += LANES) {
        vf a = load(x[0] + i);
        for (int t = 1; t < k; t++) a = __builtin_elementwise_max(a, load(x[t] + i));
        store_grid(out, a, row, col, count - i < LANES ? count - i : LANES, pitch, width);
        advance(&row, &col, LANES, pitch);
    }
}

// Splits `pairs` pairs of src into their first (even) and second (odd) values.
static void deinterleave(const float *src, int pairs, float *even, float *odd) {
    int i = 0;
    for (; i + LANES <= pairs; i += LANES) {
        vf a = load(src + 2 * i), b = load(src + 2 * i + LANES);
#if LANES == 16
        vf e = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        vf o = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
#elif LANES == 8
        vf e = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
        vf o = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
#else
        vf e = __builtin_shufflevector(a, b, 0, 2, 4, 6);
        vf o = __builtin_shufflevector(a, b, 1, 3, 5, 7);
#endif
        store(even + i, e);
        store(odd + i, o);
    }
#if CF_AVX512
    if (i < pairs) {  // the last pairs with masked loads and stores
        int left = pairs - i;
        __m512 a = _mm512_maskz_loadu_ps((__mmask16)(left >= 8 ? 0xFFFF : (1u << (2 * left)) - 1), src + 2 * i);
        __m512 b = _mm512_maskz_loadu_ps((__mmask16)(left > 8 ? (1u << (2 * left - 16)) - 1 : 0), src + 2 * i + 16);
        __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        __m512i odds = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
        __mmask16 keep = (__mmask16)((1u << left) - 1);
        _mm512_mask_storeu_ps(even + i, keep, _mm512_permutex2var_ps(a, evens, b));
        _mm512_mask_storeu_ps(odd + i, keep, _mm512_permutex2var_ps(a, odds, b));
        return;
    }
#endif
    for (; i < pairs; i++) {
        even[i] = src[2 * i];
        odd[i] = src[2 * i + 1];
    }
}

static inline void fill(float *p, float v, int n) { for (int i = 0; i < n; i++) p[i] = v; }

void CF(fill_phases)(const float *src, int h, int w, int sy, int sx, int top, int left, int rows, int pitch,
                    float *planes, long phaseSize, float padding) {
    // A padded row, sx phase rows wide, is split into its phases (pairs by SIMD shuffles at stride 2).
    int width = sx * pitch, lead = left < width ? left : width;
    int inside = w < width - lead ? w : width - lead;
    if (inside < 0) inside = 0;
    float stack[2048], *padded = sx == 1 || width <= 2048 ? stack : malloc((size_t)width * sizeof(float));
    for (int py = 0; py < sy; py++) {
        for (int r = 0; r <= rows; r++) {
            float *line = planes + (long)py * sx * phaseSize + (long)r * pitch;
            int iy = r * sy + py - top;
            if (r == rows || iy < 0 || iy >= h) {
                for (int px = 0; px < sx; px++) fill(line + px * phaseSize, padding, pitch);
                continue;
            }
            float *row = sx == 1 ? line : padded;
            fill(row, padding, lead);
            memcpy(row + lead, src + (long)iy * w, (size_t)inside * sizeof(float));
            fill(row + lead + inside, padding, width - lead - inside);
            if (sx == 2) {
                deinterleave(row, pitch, line, line + phaseSize);
            } else if (sx > 2) {
                for (int px = 0; px < sx; px++)
                    for (int j = 0; j < pitch; j++) line[px * phaseSize + j] = row[j * sx + px];
            }
        }
    }
    if (padded != stack) free(padded);
}

void CF(split_phases)(const float *src, int h, int w, int sy, int sx, int pitch, float *dst, long phaseSize) {
    for (int py = 0; py < sy; py++) {
        for (int r = 0; r * sy + py < h; r++) {
            const float *row = src + (long)(r * sy + py) * w;
            float *line = dst + (long)py * sx * phaseSize + (long)r * pitch;
            if (sx == 1) {
                memcpy(line, row, (size_t)w * sizeof(float));
            } else if (sx == 2) {
                deinterleave(row, w / 2, line, line + phaseSize);
                if (w % 2) line[w / 2] = row[w - 1];
            } else {
                for (int px = 0; px < sx && px < w; px++)
                    for (int j = 0; j * sx + px < w; j++) line[px * phaseSize + j] = row[j * sx + px];
            }
        }
    }
}
