#ifndef KCONV_CKERNELS_H
#define KCONV_CKERNELS_H

#include <stddef.h>

/// 1 when this CPU runs the AVX2 activation kernels below (x86-64 with AVX2 and FMA), else 0.
/// They are compiled for AVX2 whatever the target's baseline, and must only be called when this returns 1.
int kconv_cpu_has_avx2_fma(void);

/// The fused kernel paths of kconv_gemm_packed.
enum {
    /// AVX2 + FMA (x86-64): 256-bit registers, 16 of them.
    KCONV_PATH_AVX2 = 1,
    /// AVX-512F (x86-64): 512-bit registers, 32 of them.
    KCONV_PATH_AVX512 = 2,
    /// NEON (arm64): 128-bit registers, 32 of them.
    KCONV_PATH_NEON = 3,
};

/// Whether this CPU runs `path` (a KCONV_PATH_ value): its extensions are present and compiled in.
int kconv_path_available(int path);

/// C[rows × n] += A[rows × k] · B[k × n] (or C = bias + A·B when bias, n floats, is given: then C's
/// values are not read) for the columns of panels `panel_begin ..< panel_end`, with
/// B packed in zero-padded panels of 16 columns, each `panel_rows` (≥ k) rows long: panel q at
/// packed + 16·panel_rows·q, its row p at + 16p (a block of B's rows: `packed` at its first row).
/// A and C are row-major with leading dimensions lda and ldc (rows of A may overlap). Each element
/// of C gets c = fma(a[p], b[p], c) for p = 0, 1, ..., k-1 in order from c (or its bias), on every path: the results are
/// the same bits whatever the path, the tile shapes, the rows computed together or the panels split.
/// Call only with a path kconv_path_available accepts.
void kconv_gemm_packed(int path, const float *a, ptrdiff_t lda, const float *packed, ptrdiff_t panel_rows,
                       ptrdiff_t k, ptrdiff_t n, const float *bias, float *c, ptrdiff_t ldc, ptrdiff_t rows,
                       ptrdiff_t panel_begin, ptrdiff_t panel_end);

/// In place over n floats: TensorFlow's float tanh (Eigen's ptanh_float without FMA), as
/// Activation.tanh in KConvOps computes it element by element; the same results bit for bit.
/// Only when kconv_cpu_has_avx2_fma() returns 1.
void kconv_tanh_avx2(float *x, ptrdiff_t n);

/// In place over n floats: TensorFlow's float sigmoid (Eigen's logistic packet path without FMA,
/// denormals flushed), as Activation.sigmoid computes it; the same results bit for bit.
void kconv_sigmoid_avx2(float *x, ptrdiff_t n);

/// The activations kconv_lstm_cell_avx2 computes itself.
enum {
    KCONV_ACTIVATION_LINEAR = 0,
    KCONV_ACTIVATION_TANH = 1,
    KCONV_ACTIVATION_SIGMOID = 2,
    /// The plain relu: max(x, 0), NaN kept.
    KCONV_ACTIVATION_RELU = 3,
};

/// The LSTM cell on `rows` rows, as RecurrentCell.lstmStep computes it (the same operations, so the
/// same bits): rows of z (4u wide) hold the gate pre-activations i, f, c, o; c is the cell state
/// (rows × u); writes c' = ra(f)·c + ra(i)·a(g) to c_next and h' = a(c')·ra(o) to h_next, with
/// a = activation and ra = recurrent_activation (KCONV_ACTIVATION_ codes). Multiplies and adds
/// rounded separately. Only when kconv_cpu_has_avx2_fma() returns 1.
void kconv_lstm_cell_avx2(const float *z, ptrdiff_t rows, ptrdiff_t u, const float *c, float *h_next,
                          float *c_next, int activation, int recurrent_activation);

/// Units per gate block of kconv_lstm_step's layout.
enum { KCONV_LSTM_GATE_BLOCK = 16 };

/// One LSTM step with the recurrent product and the cell fused, on a fused path (`path` is
/// KCONV_PATH_AVX512 or KCONV_PATH_AVX2 on x86-64, KCONV_PATH_NEON on arm64, and
/// kconv_path_available(path) returned 1).
///
/// The gates are laid out in blocks of 16 units: for block j, columns 64j ..< 64j + 64 hold the
/// i, f, c, o pre-activations of units 16j ..< 16j + 16 (zero beyond u), 16 columns each. `z`
/// (rows × 64·⌈u/16⌉) holds x·W + b in that layout and receives z + h·U; `packed` is U (u rows, same
/// layout) in panels of 16 columns, each u rows long (KConvOps' PackedMatrix), or NULL when h is zero
/// (no product). h has leading dimension ldh; c, h_next and c_next are rows × u. The product makes
/// kconv_gemm_packed's fused multiply-adds and the cell kconv_lstm_cell_avx2's operations, so the
/// results are theirs bit for bit.
void kconv_lstm_step(int path, const float *h, ptrdiff_t ldh, const float *packed, float *z, ptrdiff_t rows, ptrdiff_t u,
                     const float *c, float *h_next, float *c_next, int activation, int recurrent_activation);

/// The input transform of the Winograd F(2×2, 3×3) convolution for `tiles` tiles side by side: tile t
/// is the 4×4 window of an NHWC image whose rows are `rows` (NULL for a row of padding), columns
/// ix0 + 2t ..< ix0 + 2t + 4 (outside 0 ..< width: zeros), all `channels`. Writes Bᵀ·d·B, with
/// Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], element (i, j) of tile t to
/// v + (4i + j)·stride + t·channels. Additions in a fixed order: the same bits on every path.
void kconv_winograd_input(int path, const float *const rows[4], ptrdiff_t width, ptrdiff_t channels, ptrdiff_t ix0,
                          ptrdiff_t tiles, float *v, ptrdiff_t stride);

/// The output transform of the Winograd F(2×2, 3×3) convolution for `tiles` tiles side by side:
/// with m the 4×4 tile of element (i, j) at v + (4i + j)·stride + t·filters, writes Aᵀ·m·A + bias,
/// with Aᵀ = [1 1 1 0; 0 1 -1 -1], to output rows `rows` (NULL: a row past the output's end),
/// columns 2t and 2t + 1 (those < width), `filters` floats each. Same bits on every path.
void kconv_winograd_output(int path, const float *v, ptrdiff_t stride, ptrdiff_t filters, ptrdiff_t tiles,
                           const float *bias, float *const rows[2], ptrdiff_t width);

/// A part of a kconv_parallel region: `part` of 0 ..< parts.
typedef void (*kconv_job)(void *context, ptrdiff_t part);

/// Runs body(context, p) for every p in 0 ..< parts, on up to `threads` threads (the caller is one of
/// them), and returns when all are done. The workers are kept awake for a short while between
/// regions. While one region runs, other calls (from other threads, or nested in a part) run their
/// parts on their own thread, in order.
void kconv_parallel(ptrdiff_t parts, int threads, kconv_job body, void *context);

#endif
