// AVX2 + FMA matrix kernels for KerasRuntime's GEMM (Sources/KerasRuntime/Kernels/GEMM.swift).
//
// Swift on Linux compiles for baseline x86-64 (SSE2), and a package cannot raise that without
// unsafe flags; these functions carry their own target attribute instead and are called only after
// kconv_cpu_has_avx2_fma() says the CPU has both extensions. Elsewhere they are never called.
#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <string.h>

#define KCONV_FMA __attribute__((target("avx2,fma")))

int kconv_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

KCONV_FMA void kconv_tile_fma(const float *a, ptrdiff_t lda, const float *panel, float *c, ptrdiff_t ldc,
                              int rows, int columns, ptrdiff_t depth) {
    // Rows of C in registers: two 8-float halves each. Partial tiles go through a padded copy.
    float edge[6][16];
    float *out[6];
    for (int r = 0; r < rows; r++) {
        if (columns < 16) {
            memset(edge[r], 0, sizeof edge[r]);
            memcpy(edge[r], c + r * ldc, (size_t)columns * sizeof(float));
            out[r] = edge[r];
        } else {
            out[r] = c + r * ldc;
        }
    }
    __m256 acc[6][2];
    for (int r = 0; r < rows; r++) {
        acc[r][0] = _mm256_loadu_ps(out[r]);
        acc[r][1] = _mm256_loadu_ps(out[r] + 8);
    }
    if (rows == 6) {
        for (ptrdiff_t p = 0; p < depth; p++) {
            const __m256 b0 = _mm256_loadu_ps(panel + 16 * p), b1 = _mm256_loadu_ps(panel + 16 * p + 8);
            for (int r = 0; r < 6; r++) {
                const __m256 x = _mm256_broadcast_ss(a + r * lda + p);
                acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
            }
        }
    } else {
        for (ptrdiff_t p = 0; p < depth; p++) {
            const __m256 b0 = _mm256_loadu_ps(panel + 16 * p), b1 = _mm256_loadu_ps(panel + 16 * p + 8);
            for (int r = 0; r < rows; r++) {
                const __m256 x = _mm256_broadcast_ss(a + r * lda + p);
                acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm256_storeu_ps(out[r], acc[r][0]);
        _mm256_storeu_ps(out[r] + 8, acc[r][1]);
    }
    if (columns < 16) {
        for (int r = 0; r < rows; r++) memcpy(c + r * ldc, edge[r], (size_t)columns * sizeof(float));
    }
}

KCONV_FMA void kconv_stream_fma(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k, ptrdiff_t n) {
    const ptrdiff_t vectorEnd = n - n % 8;
    ptrdiff_t i = 0;
    for (; i + 4 <= m; i += 4) {
        float *c0 = c + i * n, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
        const float *a0 = a + i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
        for (ptrdiff_t p = 0; p < k; p++) {
            const float *row = b + p * n;
            const __m256 x0 = _mm256_set1_ps(a0[p]), x1 = _mm256_set1_ps(a1[p]);
            const __m256 x2 = _mm256_set1_ps(a2[p]), x3 = _mm256_set1_ps(a3[p]);
            ptrdiff_t j = 0;
            for (; j < vectorEnd; j += 8) {
                const __m256 w = _mm256_loadu_ps(row + j);
                _mm256_storeu_ps(c0 + j, _mm256_fmadd_ps(x0, w, _mm256_loadu_ps(c0 + j)));
                _mm256_storeu_ps(c1 + j, _mm256_fmadd_ps(x1, w, _mm256_loadu_ps(c1 + j)));
                _mm256_storeu_ps(c2 + j, _mm256_fmadd_ps(x2, w, _mm256_loadu_ps(c2 + j)));
                _mm256_storeu_ps(c3 + j, _mm256_fmadd_ps(x3, w, _mm256_loadu_ps(c3 + j)));
            }
            for (; j < n; j++) {
                c0[j] = __builtin_fmaf(a0[p], row[j], c0[j]);
                c1[j] = __builtin_fmaf(a1[p], row[j], c1[j]);
                c2[j] = __builtin_fmaf(a2[p], row[j], c2[j]);
                c3[j] = __builtin_fmaf(a3[p], row[j], c3[j]);
            }
        }
    }
    for (; i < m; i++) {
        float *c0 = c + i * n;
        const float *a0 = a + i * k;
        for (ptrdiff_t p = 0; p < k; p++) {
            const float *row = b + p * n;
            const __m256 x0 = _mm256_set1_ps(a0[p]);
            ptrdiff_t j = 0;
            for (; j < vectorEnd; j += 8) {
                _mm256_storeu_ps(c0 + j, _mm256_fmadd_ps(x0, _mm256_loadu_ps(row + j), _mm256_loadu_ps(c0 + j)));
            }
            for (; j < n; j++) c0[j] = __builtin_fmaf(a0[p], row[j], c0[j]);
        }
    }
}

#else

int kconv_cpu_has_avx2_fma(void) { return 0; }

void kconv_tile_fma(const float *a, ptrdiff_t lda, const float *panel, float *c, ptrdiff_t ldc,
                    int rows, int columns, ptrdiff_t depth) {
    (void)a; (void)lda; (void)panel; (void)c; (void)ldc; (void)rows; (void)columns; (void)depth;
}

void kconv_stream_fma(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k, ptrdiff_t n) {
    (void)a; (void)b; (void)c; (void)m; (void)k; (void)n;
}

#endif
