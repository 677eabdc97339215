#ifndef KCONV_CKERNELS_H
#define KCONV_CKERNELS_H

#include <stddef.h>

/// 1 when this CPU runs the AVX2 + FMA kernels below (x86-64 with both extensions), else 0.
/// The kernels are compiled for AVX2 + FMA whatever the target's baseline, and must only be called
/// when this returns 1.
int kconv_cpu_has_avx2_fma(void);

/// C[rows × columns] += A[rows × depth] · P[depth × 16] with fused multiply-adds, for rows ≤ 6 and
/// columns ≤ 16. P is a packed, zero-padded panel of 16 columns (row p at P + 16p); A and C are
/// row-major with leading dimensions lda and ldc. Each element of C gets c = fma(a[p], b[p], c)
/// for p = 0, 1, ... in order.
void kconv_tile_fma(const float *a, ptrdiff_t lda, const float *panel, float *c, ptrdiff_t ldc,
                    int rows, int columns, ptrdiff_t depth);

/// C[m × n] += A[m × k] · B[k × n] with fused multiply-adds, all row-major and contiguous, for few
/// rows (matrix-vector products): each row of B is read once per four rows of C. Each element of C
/// gets the same operations as in kconv_tile_fma.
void kconv_stream_fma(const float *a, const float *b, float *c, ptrdiff_t m, ptrdiff_t k, ptrdiff_t n);

/// In place over n floats: TensorFlow's float tanh (Eigen's ptanh_float without FMA), as
/// Activation.tanh in KConvOps computes it element by element; the same results bit for bit.
/// Only when kconv_cpu_has_avx2_fma() returns 1.
void kconv_tanh_avx2(float *x, ptrdiff_t n);

/// In place over n floats: TensorFlow's float sigmoid (Eigen's logistic packet path without FMA,
/// denormals flushed), as Activation.sigmoid computes it; the same results bit for bit.
void kconv_sigmoid_avx2(float *x, ptrdiff_t n);

#endif
