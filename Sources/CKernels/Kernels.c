// AVX2 activation kernels for KConvOps (the matrix kernels are in PackedGEMM.c).
//
// Swift on Linux compiles for baseline x86-64 (SSE2), and a package cannot raise that without
// unsafe flags; these functions carry their own target attribute instead and are called only after
// kconv_cpu_has_avx2_fma() says the CPU has both extensions. Elsewhere they are never called.
#include "CKernels.h"
#include "VectorActivations.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <string.h>

int kconv_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
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
