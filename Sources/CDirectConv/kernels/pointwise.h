// Element-wise activations on whole vectors. libm's expf is one call per
// value and does not vectorise; EfficientNet's and RegNet's Sigmoids (SiLU,
// squeeze-and-excitation) spent more time there than in their convolutions.

// e^x: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by Cephes' degree-7 minimax
// polynomial for expf (relative error about 1e-7), 2^n from exponent bits.
// x is clamped to [-88, 88], where 2^n stays a normal float or exactly zero.
typedef int vi __attribute__((ext_vector_type(LANES)));

static inline vf exp_vector(vf x) {
    x = __builtin_elementwise_max(__builtin_elementwise_min(x, (vf)88.0f), (vf)-88.0f);
    vf n = __builtin_elementwise_floor(x * 1.44269504088896341f + 0.5f);
    vf r = x - n * 0.693359375f + n * 2.12194440e-4f;  // ln 2 in two parts, so r stays exact
    vf p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    vi bits = (__builtin_convertvector(n, vi) + 127) << 23;  // n = -127 gives 0: within 1e-38
    return p * (vf)bits;
}

// 1 / (1 + e^-v), and v itself where v is NaN (the clamp in exp_vector would lose it).
static inline vf sigmoid_vector(vf v) {
    vi number = v == v;
    return (vf)(((vi)(1.0f / (1.0f + exp_vector(-v))) & number) | ((vi)v & ~number));
}

// y[i] = 1 / (1 + e^-x[i]). y may be x.
static void CF(sigmoid)(const float *x, float *y, long n) {
    long i = 0;
    for (; i + LANES <= n; i += LANES) {
        store(y + i, sigmoid_vector(load(x + i)));
    }
    if (i < n) {
        float part[LANES] = {0};
        memcpy(part, x + i, (size_t)(n - i) * sizeof(float));
        store_part(y + i, sigmoid_vector(load(part)), (int)(n - i));
    }
}
