// AVX2 activation kernels for KConvOps (the matrix kernels are in PackedGEMM.c).
//
// Swift on Linux compiles for baseline x86-64 (SSE2), and a package cannot raise that without
// unsafe flags; these functions carry their own target attribute instead and are called only after
// kconv_cpu_has_avx2_fma() says the CPU has both extensions. Elsewhere they are never called.
#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <string.h>

int kconv_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// The activations below must round every multiply and add separately, as TensorFlow's wheels do:
// they are compiled for AVX2 only (no FMA instructions to contract into).
#define KCONV_AVX2 __attribute__((target("avx2")))

static inline KCONV_AVX2 __m256 tanh8(__m256 a) {
    const __m256 c = _mm256_set1_ps(7.90738964080810547f);
    // min/max with the input second: a NaN input stays NaN.
    const __m256 x = _mm256_max_ps(_mm256_sub_ps(_mm256_setzero_ps(), c), _mm256_min_ps(c, a));
    const __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(1.394553628e-8f);
    p = _mm256_add_ps(_mm256_mul_ps(p, x2), _mm256_set1_ps(2.102733560e-5f));
    p = _mm256_add_ps(_mm256_mul_ps(p, x2), _mm256_set1_ps(3.520756727e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, x2), _mm256_set1_ps(1.340216100e-1f));
    __m256 q = _mm256_set1_ps(8.015776984e-7f);
    q = _mm256_add_ps(_mm256_mul_ps(q, x2), _mm256_set1_ps(3.326951409e-4f));
    q = _mm256_add_ps(_mm256_mul_ps(q, x2), _mm256_set1_ps(2.597254514e-2f));
    q = _mm256_add_ps(_mm256_mul_ps(q, x2), _mm256_set1_ps(4.673548340e-1f));
    q = _mm256_add_ps(_mm256_mul_ps(q, x2), _mm256_set1_ps(1.0f));
    const __m256 num = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(x2, x), p), x);
    return _mm256_div_ps(num, q);
}

static inline KCONV_AVX2 __m256 sigmoid8(__m256 x0) {
    const __m256 tiny = _mm256_set1_ps(1.17549435e-38f);  // FLT_MIN: smaller results flush to 0
    const __m256 below = _mm256_cmp_ps(x0, _mm256_set1_ps(-104.f), _CMP_LT_OQ);
    const __m256 x = _mm256_mul_ps(_mm256_min_ps(_mm256_set1_ps(16.6355324f), x0), _mm256_set1_ps(0.5f));
    const __m256 m = _mm256_floor_ps(_mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_add_ps(_mm256_mul_ps(m, _mm256_set1_ps(-0.693359375f)), x);
    r = _mm256_add_ps(_mm256_mul_ps(m, _mm256_set1_ps(2.12194440e-4f)), r);
    const __m256 r2 = _mm256_mul_ps(r, r);
    const __m256 even = _mm256_add_ps(_mm256_mul_ps(r2, _mm256_set1_ps(4.1898667812347412109375e-2f)), _mm256_set1_ps(0.49999141693115234375f));
    const __m256 odd = _mm256_add_ps(_mm256_mul_ps(r2, _mm256_set1_ps(8.33471305668354034423828125e-3f)), _mm256_set1_ps(0.16666877269744873046875f));
    const __m256 p = _mm256_add_ps(_mm256_mul_ps(r2, _mm256_add_ps(_mm256_mul_ps(r, odd), even)), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i biased = _mm256_add_epi32(_mm256_cvtps_epi32(m), _mm256_set1_epi32(127));
    const __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23)));
    const __m256 e2 = _mm256_mul_ps(e, e);
    const __m256 y = _mm256_div_ps(e2, _mm256_add_ps(_mm256_set1_ps(1.0f), e2));
    // Zero where x0 < -104, or where e² or the result is below FLT_MIN (NaN compares false: kept).
    const __m256 zero = _mm256_or_ps(below, _mm256_or_ps(_mm256_cmp_ps(e2, tiny, _CMP_LT_OQ), _mm256_cmp_ps(y, tiny, _CMP_LT_OQ)));
    return _mm256_andnot_ps(zero, y);
}

KCONV_AVX2 void kconv_tanh_avx2(float *x, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, tanh8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        float tail[8] = {0};
        memcpy(tail, x + i, (size_t)(n - i) * sizeof(float));
        _mm256_storeu_ps(tail, tanh8(_mm256_loadu_ps(tail)));
        memcpy(x + i, tail, (size_t)(n - i) * sizeof(float));
    }
}

KCONV_AVX2 void kconv_sigmoid_avx2(float *x, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, sigmoid8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        float tail[8] = {0};
        memcpy(tail, x + i, (size_t)(n - i) * sizeof(float));
        _mm256_storeu_ps(tail, sigmoid8(_mm256_loadu_ps(tail)));
        memcpy(x + i, tail, (size_t)(n - i) * sizeof(float));
    }
}

/// An activation of kconv_lstm_cell_avx2 on eight values (KCONV_ACTIVATION_ codes).
static inline KCONV_AVX2 __m256 activate8(__m256 x, int activation) {
    switch (activation) {
    case KCONV_ACTIVATION_TANH: return tanh8(x);
    case KCONV_ACTIVATION_SIGMOID: return sigmoid8(x);
    case KCONV_ACTIVATION_RELU:
        // x <= 0 becomes +0; NaN and x > 0 stay (as Activation.apply's relu).
        return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LE_OQ), x);
    default: return x;
    }
}

/// Eight columns j..j+7 of one LSTM row: rows of z are [i f c o], each u wide.
static inline KCONV_AVX2 void lstm8(const float *row, ptrdiff_t u, const float *c, float *h_next, float *c_next,
                                    int a, int ra) {
    const __m256 i = activate8(_mm256_loadu_ps(row), ra);
    const __m256 f = activate8(_mm256_loadu_ps(row + u), ra);
    const __m256 g = activate8(_mm256_loadu_ps(row + 2 * u), a);
    const __m256 o = activate8(_mm256_loadu_ps(row + 3 * u), ra);
    const __m256 cell = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(c)), _mm256_mul_ps(i, g));
    _mm256_storeu_ps(c_next, cell);
    _mm256_storeu_ps(h_next, _mm256_mul_ps(activate8(cell, a), o));
}

KCONV_AVX2 void kconv_lstm_cell_avx2(const float *z, ptrdiff_t rows, ptrdiff_t u, const float *c, float *h_next,
                                     float *c_next, int activation, int recurrent_activation) {
    const ptrdiff_t full = u - u % 8;
    for (ptrdiff_t b = 0; b < rows; b++) {
        const float *row = z + b * 4 * u;
        const float *cb = c + b * u;
        float *hb = h_next + b * u, *nb = c_next + b * u;
        for (ptrdiff_t j = 0; j < full; j += 8) lstm8(row + j, u, cb + j, hb + j, nb + j, activation, recurrent_activation);
        if (full < u) {
            // The last columns through padded copies (the padding's results are dropped).
            const ptrdiff_t rest = u - full;
            float gates[32] = {0}, cell[8] = {0}, h[8], cn[8];
            for (int q = 0; q < 4; q++) memcpy(gates + 8 * q, row + q * u + full, (size_t)rest * sizeof(float));
            memcpy(cell, cb + full, (size_t)rest * sizeof(float));
            lstm8(gates, 8, cell, h, cn, activation, recurrent_activation);
            memcpy(hb + full, h, (size_t)rest * sizeof(float));
            memcpy(nb + full, cn, (size_t)rest * sizeof(float));
        }
    }
}

#else

int kconv_cpu_has_avx2_fma(void) { return 0; }

void kconv_tanh_avx2(float *x, ptrdiff_t n) { (void)x; (void)n; }

void kconv_sigmoid_avx2(float *x, ptrdiff_t n) { (void)x; (void)n; }

void kconv_lstm_cell_avx2(const float *z, ptrdiff_t rows, ptrdiff_t u, const float *c, float *h_next,
                          float *c_next, int activation, int recurrent_activation) {
    (void)z; (void)rows; (void)u; (void)c; (void)h_next; (void)c_next; (void)activation; (void)recurrent_activation;
}

#endif
