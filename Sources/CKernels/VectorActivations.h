// TensorFlow's float activations on vectors, for CKernels' own files (not part of the module's
// interface): tanhW, sigmoidW, activateW and lstmW for W = 8 (AVX2), 16 (AVX-512) and 4 (NEON).
// They are written once, in KCONV_DEFINE_ACTIVATIONS, over a few vector operations each instruction
// set defines (V_ADD, V_MUL, ...): every width makes the same IEEE operations per element in the same
// order (multiplies and adds rounded separately, as TensorFlow's wheels compute them), so they give
// the same bits as each other and as the scalar functions of KConvOps' Activation. On x86-64, call
// them only on a CPU with the extensions.
#ifndef KCONV_VECTOR_ACTIVATIONS_H
#define KCONV_VECTOR_ACTIVATIONS_H

#include "CKernels.h"

#if defined(__clang__)
// Never fuse a multiply and an add into one FMA here: the results would change.
#pragma clang fp contract(off)
#endif

// The operations, for vectors V and comparison masks M:
//   V_SET1(f), V_LOAD(p), V_STORE(p, v), V_ADD, V_SUB, V_MUL, V_DIV, V_FLOOR(v)
//   V_MIN(a, b), V_MAX(a, b): NaN when b is NaN (x86 returns b when either is NaN, NEON the NaN)
//   V_LT(a, b), V_LE(a, b): masks of a < b, a <= b (false for NaN); M_OR(m, n); V_ZERO_WHERE(m, v)
//   V_POW2(m): 2^m for a whole-number vector m (its bits: (m + 127) << 23)
#define KCONV_DEFINE_ACTIVATIONS(W, ATTR, V, M)                                                          \
    /* tanh: the input clamped to ±7.90738964, then Eigen's [9/8] odd/even rational function. */         \
    static inline ATTR V tanh##W(V a) {                                                                 \
        const V c = V_SET1(7.90738964080810547f);                                                       \
        /* The input second: a NaN input stays NaN. */                                                 \
        const V x = V_MAX(V_SUB(V_SET1(0.0f), c), V_MIN(c, a));                                         \
        const V x2 = V_MUL(x, x);                                                                       \
        V p = V_SET1(1.394553628e-8f);                                                                  \
        p = V_ADD(V_MUL(p, x2), V_SET1(2.102733560e-5f));                                               \
        p = V_ADD(V_MUL(p, x2), V_SET1(3.520756727e-3f));                                               \
        p = V_ADD(V_MUL(p, x2), V_SET1(1.340216100e-1f));                                               \
        V q = V_SET1(8.015776984e-7f);                                                                  \
        q = V_ADD(V_MUL(q, x2), V_SET1(3.326951409e-4f));                                               \
        q = V_ADD(V_MUL(q, x2), V_SET1(2.597254514e-2f));                                               \
        q = V_ADD(V_MUL(q, x2), V_SET1(4.673548340e-1f));                                               \
        q = V_ADD(V_MUL(q, x2), V_SET1(1.0f));                                                          \
        const V num = V_ADD(V_MUL(V_MUL(x2, x), p), x);                                                 \
        return V_DIV(num, q);                                                                           \
    }                                                                                                   \
    /* sigmoid: Eigen's logistic packet path, e = exp(x/2) by range reduction, then e²/(1 + e²),   */   \
    /* results below FLT_MIN flushed to zero. */                                                        \
    static inline ATTR V sigmoid##W(V x0) {                                                             \
        const V tiny = V_SET1(1.17549435e-38f);                                                         \
        const M below = V_LT(x0, V_SET1(-104.f));                                                       \
        const V x = V_MUL(V_MIN(V_SET1(16.6355324f), x0), V_SET1(0.5f));                                \
        const V m = V_FLOOR(V_ADD(V_MUL(x, V_SET1(1.44269504088896341f)), V_SET1(0.5f)));               \
        V r = V_ADD(V_MUL(m, V_SET1(-0.693359375f)), x);                                                \
        r = V_ADD(V_MUL(m, V_SET1(2.12194440e-4f)), r);                                                 \
        const V r2 = V_MUL(r, r);                                                                       \
        const V even = V_ADD(V_MUL(r2, V_SET1(4.1898667812347412109375e-2f)), V_SET1(0.49999141693115234375f)); \
        const V odd = V_ADD(V_MUL(r2, V_SET1(8.33471305668354034423828125e-3f)), V_SET1(0.16666877269744873046875f)); \
        const V p = V_ADD(V_MUL(r2, V_ADD(V_MUL(r, odd), even)), V_ADD(r, V_SET1(1.0f)));                \
        const V e = V_MUL(p, V_POW2(m));                                                                \
        const V e2 = V_MUL(e, e);                                                                       \
        const V y = V_DIV(e2, V_ADD(V_SET1(1.0f), e2));                                                 \
        /* Zero where x0 < -104, or where e² or the result is below FLT_MIN (NaN: kept). */             \
        return V_ZERO_WHERE(M_OR(below, M_OR(V_LT(e2, tiny), V_LT(y, tiny))), y);                       \
    }                                                                                                   \
    /* An activation of kconv_lstm_cell_avx2 (KCONV_ACTIVATION_ codes). */                              \
    static inline ATTR V activate##W(V x, int activation) {                                             \
        switch (activation) {                                                                           \
        case KCONV_ACTIVATION_TANH: return tanh##W(x);                                                  \
        case KCONV_ACTIVATION_SIGMOID: return sigmoid##W(x);                                            \
        /* The plain relu: x <= 0 becomes +0; NaN and x > 0 stay (as Activation.apply's relu). */       \
        case KCONV_ACTIVATION_RELU: return V_ZERO_WHERE(V_LE(x, V_SET1(0.0f)), x);                      \
        default: return x;                                                                              \
        }                                                                                               \
    }                                                                                                   \
    /* W columns of one LSTM row: gates i f c o at row, row + u, ...; c' = ra(f)·c + ra(i)·a(g), */     \
    /* h' = a(c')·ra(o). */                                                                              \
    static inline ATTR void lstm##W(const float *row, ptrdiff_t u, const float *c, float *h_next, float *c_next, \
                                    int a, int ra) {                                                    \
        const V i = activate##W(V_LOAD(row), ra);                                                       \
        const V f = activate##W(V_LOAD(row + u), ra);                                                   \
        const V g = activate##W(V_LOAD(row + 2 * u), a);                                                \
        const V o = activate##W(V_LOAD(row + 3 * u), ra);                                               \
        const V cell = V_ADD(V_MUL(f, V_LOAD(c)), V_MUL(i, g));                                         \
        V_STORE(c_next, cell);                                                                          \
        V_STORE(h_next, V_MUL(activate##W(cell, a), o));                                                \
    }

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// ---- AVX2, eight lanes, compiled for AVX2 only: no FMA instruction to contract into.
#define KCONV_AVX2 __attribute__((target("avx2")))
#define V_SET1(f) _mm256_set1_ps(f)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_DIV(a, b) _mm256_div_ps(a, b)
#define V_FLOOR(v) _mm256_floor_ps(v)
#define V_MIN(a, b) _mm256_min_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define V_LE(a, b) _mm256_cmp_ps(a, b, _CMP_LE_OQ)
#define M_OR(m, n) _mm256_or_ps(m, n)
#define V_ZERO_WHERE(m, v) _mm256_andnot_ps(m, v)
#define V_POW2(m) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(m), _mm256_set1_epi32(127)), 23))
KCONV_DEFINE_ACTIVATIONS(8, KCONV_AVX2, __m256, __m256)
#include "UndefineVectorOperations.h"

// ---- AVX-512F, sixteen lanes; comparisons give mask registers.
#define KCONV_AVX512_MATH __attribute__((target("avx512f")))
#define V_SET1(f) _mm512_set1_ps(f)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_DIV(a, b) _mm512_div_ps(a, b)
#define V_FLOOR(v) _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
#define V_MIN(a, b) _mm512_min_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define V_LE(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ)
#define M_OR(m, n) ((__mmask16)((m) | (n)))
#define V_ZERO_WHERE(m, v) _mm512_maskz_mov_ps((__mmask16)~(m), v)
#define V_POW2(m) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(m), _mm512_set1_epi32(127)), 23))
KCONV_DEFINE_ACTIVATIONS(16, KCONV_AVX512_MATH, __m512, __mmask16)
#include "UndefineVectorOperations.h"

#elif defined(__aarch64__)
#include <arm_neon.h>

// ---- NEON, four lanes. m is a whole number (or NaN, when p is NaN too): rounding it to the
// nearest integer is exact.
#define V_SET1(f) vdupq_n_f32(f)
#define V_LOAD(p) vld1q_f32(p)
#define V_STORE(p, v) vst1q_f32(p, v)
#define V_ADD(a, b) vaddq_f32(a, b)
#define V_SUB(a, b) vsubq_f32(a, b)
#define V_MUL(a, b) vmulq_f32(a, b)
#define V_DIV(a, b) vdivq_f32(a, b)
#define V_FLOOR(v) vrndmq_f32(v)
#define V_MIN(a, b) vminq_f32(a, b)
#define V_MAX(a, b) vmaxq_f32(a, b)
#define V_LT(a, b) vcltq_f32(a, b)
#define V_LE(a, b) vcleq_f32(a, b)
#define M_OR(m, n) vorrq_u32(m, n)
#define V_ZERO_WHERE(m, v) vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(v), m))
#define V_POW2(m) vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(m), vdupq_n_s32(127)), 23))
#define KCONV_NEON
KCONV_DEFINE_ACTIVATIONS(4, KCONV_NEON, float32x4_t, uint32x4_t)
#undef KCONV_NEON
#include "UndefineVectorOperations.h"

#endif
#endif
