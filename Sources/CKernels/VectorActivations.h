// TensorFlow's float activations on vectors, for CKernels' own files (not part of the module's
// interface): eight floats in AVX2 registers, sixteen in AVX-512 ones, four in NEON ones. Every
// width makes the same IEEE operations per element in the same order (multiplies and adds rounded
// separately, as TensorFlow's wheels compute them), so they give the same bits as each other and as
// the scalar functions of KConvOps' Activation. On x86-64, call only on a CPU with the extensions.
#ifndef KCONV_VECTOR_ACTIVATIONS_H
#define KCONV_VECTOR_ACTIVATIONS_H

#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#if defined(__clang__)
// Never fuse a multiply and an add into one FMA here: the results would change.
#pragma clang fp contract(off)
#endif

// The AVX2 functions are compiled for AVX2 only: no FMA instruction to contract into.
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


// ---- Sixteen at a time: the same operations as tanh8 and sigmoid8, lane for lane.
#define KCONV_AVX512_MATH __attribute__((target("avx512f")))

static inline KCONV_AVX512_MATH __m512 tanh16(__m512 a) {
    const __m512 c = _mm512_set1_ps(7.90738964080810547f);
    const __m512 x = _mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), c), _mm512_min_ps(c, a));
    const __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(1.394553628e-8f);
    p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(2.102733560e-5f));
    p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(3.520756727e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(1.340216100e-1f));
    __m512 q = _mm512_set1_ps(8.015776984e-7f);
    q = _mm512_add_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(3.326951409e-4f));
    q = _mm512_add_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(2.597254514e-2f));
    q = _mm512_add_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(4.673548340e-1f));
    q = _mm512_add_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(1.0f));
    const __m512 num = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(x2, x), p), x);
    return _mm512_div_ps(num, q);
}

static inline KCONV_AVX512_MATH __m512 sigmoid16(__m512 x0) {
    const __m512 tiny = _mm512_set1_ps(1.17549435e-38f);
    const __mmask16 below = _mm512_cmp_ps_mask(x0, _mm512_set1_ps(-104.f), _CMP_LT_OQ);
    const __m512 x = _mm512_mul_ps(_mm512_min_ps(_mm512_set1_ps(16.6355324f), x0), _mm512_set1_ps(0.5f));
    const __m512 m = _mm512_roundscale_ps(_mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _mm512_set1_ps(0.5f)),
                                          _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_add_ps(_mm512_mul_ps(m, _mm512_set1_ps(-0.693359375f)), x);
    r = _mm512_add_ps(_mm512_mul_ps(m, _mm512_set1_ps(2.12194440e-4f)), r);
    const __m512 r2 = _mm512_mul_ps(r, r);
    const __m512 even = _mm512_add_ps(_mm512_mul_ps(r2, _mm512_set1_ps(4.1898667812347412109375e-2f)), _mm512_set1_ps(0.49999141693115234375f));
    const __m512 odd = _mm512_add_ps(_mm512_mul_ps(r2, _mm512_set1_ps(8.33471305668354034423828125e-3f)), _mm512_set1_ps(0.16666877269744873046875f));
    const __m512 p = _mm512_add_ps(_mm512_mul_ps(r2, _mm512_add_ps(_mm512_mul_ps(r, odd), even)), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    const __m512i biased = _mm512_add_epi32(_mm512_cvtps_epi32(m), _mm512_set1_epi32(127));
    const __m512 e = _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(biased, 23)));
    const __m512 e2 = _mm512_mul_ps(e, e);
    const __m512 y = _mm512_div_ps(e2, _mm512_add_ps(_mm512_set1_ps(1.0f), e2));
    const __mmask16 zero = below | _mm512_cmp_ps_mask(e2, tiny, _CMP_LT_OQ) | _mm512_cmp_ps_mask(y, tiny, _CMP_LT_OQ);
    return _mm512_maskz_mov_ps((__mmask16)~zero, y);
}

/// activate8 on sixteen values.
static inline KCONV_AVX512_MATH __m512 activate16(__m512 x, int activation) {
    switch (activation) {
    case KCONV_ACTIVATION_TANH: return tanh16(x);
    case KCONV_ACTIVATION_SIGMOID: return sigmoid16(x);
    case KCONV_ACTIVATION_RELU:
        return _mm512_maskz_mov_ps((__mmask16)~_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LE_OQ), x);
    default: return x;
    }
}

/// lstm8 on sixteen columns.
static inline KCONV_AVX512_MATH void lstm16(const float *row, ptrdiff_t u, const float *c, float *h_next, float *c_next,
                                            int a, int ra) {
    const __m512 i = activate16(_mm512_loadu_ps(row), ra);
    const __m512 f = activate16(_mm512_loadu_ps(row + u), ra);
    const __m512 g = activate16(_mm512_loadu_ps(row + 2 * u), a);
    const __m512 o = activate16(_mm512_loadu_ps(row + 3 * u), ra);
    const __m512 cell = _mm512_add_ps(_mm512_mul_ps(f, _mm512_loadu_ps(c)), _mm512_mul_ps(i, g));
    _mm512_storeu_ps(c_next, cell);
    _mm512_storeu_ps(h_next, _mm512_mul_ps(activate16(cell, a), o));
}

#elif defined(__aarch64__)
#include <arm_neon.h>

#if defined(__clang__)
// Never fuse a multiply and an add into one FMA here: the results would change.
#pragma clang fp contract(off)
#endif

// ---- Four at a time (NEON): the same operations as tanh8 and sigmoid8, lane for lane. NEON's
// min and max return NaN when either operand is NaN; the x86 code keeps the data operand second,
// so a NaN input stays NaN on both.

static inline float32x4_t tanh4(float32x4_t a) {
    const float32x4_t c = vdupq_n_f32(7.90738964080810547f);
    const float32x4_t x = vmaxq_f32(vsubq_f32(vdupq_n_f32(0.0f), c), vminq_f32(c, a));
    const float32x4_t x2 = vmulq_f32(x, x);
    float32x4_t p = vdupq_n_f32(1.394553628e-8f);
    p = vaddq_f32(vmulq_f32(p, x2), vdupq_n_f32(2.102733560e-5f));
    p = vaddq_f32(vmulq_f32(p, x2), vdupq_n_f32(3.520756727e-3f));
    p = vaddq_f32(vmulq_f32(p, x2), vdupq_n_f32(1.340216100e-1f));
    float32x4_t q = vdupq_n_f32(8.015776984e-7f);
    q = vaddq_f32(vmulq_f32(q, x2), vdupq_n_f32(3.326951409e-4f));
    q = vaddq_f32(vmulq_f32(q, x2), vdupq_n_f32(2.597254514e-2f));
    q = vaddq_f32(vmulq_f32(q, x2), vdupq_n_f32(4.673548340e-1f));
    q = vaddq_f32(vmulq_f32(q, x2), vdupq_n_f32(1.0f));
    const float32x4_t num = vaddq_f32(vmulq_f32(vmulq_f32(x2, x), p), x);
    return vdivq_f32(num, q);
}

static inline float32x4_t sigmoid4(float32x4_t x0) {
    const float32x4_t tiny = vdupq_n_f32(1.17549435e-38f);
    const uint32x4_t below = vcltq_f32(x0, vdupq_n_f32(-104.f));
    const float32x4_t x = vmulq_f32(vminq_f32(vdupq_n_f32(16.6355324f), x0), vdupq_n_f32(0.5f));
    const float32x4_t m = vrndmq_f32(vaddq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)), vdupq_n_f32(0.5f)));
    float32x4_t r = vaddq_f32(vmulq_f32(m, vdupq_n_f32(-0.693359375f)), x);
    r = vaddq_f32(vmulq_f32(m, vdupq_n_f32(2.12194440e-4f)), r);
    const float32x4_t r2 = vmulq_f32(r, r);
    const float32x4_t even = vaddq_f32(vmulq_f32(r2, vdupq_n_f32(4.1898667812347412109375e-2f)), vdupq_n_f32(0.49999141693115234375f));
    const float32x4_t odd = vaddq_f32(vmulq_f32(r2, vdupq_n_f32(8.33471305668354034423828125e-3f)), vdupq_n_f32(0.16666877269744873046875f));
    const float32x4_t p = vaddq_f32(vmulq_f32(r2, vaddq_f32(vmulq_f32(r, odd), even)), vaddq_f32(r, vdupq_n_f32(1.0f)));
    // m is a whole number (or NaN, when p is NaN too): rounding it to the nearest is exact.
    const int32x4_t biased = vaddq_s32(vcvtnq_s32_f32(m), vdupq_n_s32(127));
    const float32x4_t e = vmulq_f32(p, vreinterpretq_f32_s32(vshlq_n_s32(biased, 23)));
    const float32x4_t e2 = vmulq_f32(e, e);
    const float32x4_t y = vdivq_f32(e2, vaddq_f32(vdupq_n_f32(1.0f), e2));
    const uint32x4_t zero = vorrq_u32(below, vorrq_u32(vcltq_f32(e2, tiny), vcltq_f32(y, tiny)));
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(y), zero));
}

/// activate8 on four values.
static inline float32x4_t activate4(float32x4_t x, int activation) {
    switch (activation) {
    case KCONV_ACTIVATION_TANH: return tanh4(x);
    case KCONV_ACTIVATION_SIGMOID: return sigmoid4(x);
    case KCONV_ACTIVATION_RELU:
        return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(x), vcleq_f32(x, vdupq_n_f32(0.0f))));
    default: return x;
    }
}

/// lstm8 on four columns.
static inline void lstm4(const float *row, ptrdiff_t u, const float *c, float *h_next, float *c_next, int a, int ra) {
    const float32x4_t i = activate4(vld1q_f32(row), ra);
    const float32x4_t f = activate4(vld1q_f32(row + u), ra);
    const float32x4_t g = activate4(vld1q_f32(row + 2 * u), a);
    const float32x4_t o = activate4(vld1q_f32(row + 3 * u), ra);
    const float32x4_t cell = vaddq_f32(vmulq_f32(f, vld1q_f32(c)), vmulq_f32(i, g));
    vst1q_f32(c_next, cell);
    vst1q_f32(h_next, vmulq_f32(activate4(cell, a), o));
}

#endif
#endif
