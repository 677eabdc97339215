// The input and output transforms of the Winograd F(2×2, 3×3) convolution (KConvOps'
// WinogradConvolution): a 4×4 input tile d becomes Bᵀ·d·B, sixteen products of the tiles by the
// transformed kernel (packed GEMMs) give m, and Aᵀ·m·A is the 2×2 output tile. Both transforms are
// additions and subtractions only, in a fixed order, so every path (and any vector width) gives the
// same bits. Sixteen channels (filters) are transformed together in the compiler's generic vectors,
// which each target function compiles to its own registers.
#include "CKernels.h"
#include <string.h>

/// Sixteen floats: one zmm on AVX-512, two ymm on AVX2, four xmm or NEON registers elsewhere.
typedef float vec16 __attribute__((vector_size(64), aligned(4)));

// The transforms of one element (T float) or of 16 channels side by side (T vec16): the same
// operations in the same order. In: d[16] (row-major 4×4); out: w[16].
// Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], applied to the columns of d, then to its rows.
#define INPUT_TRANSFORM(T, d, w)                                                                          \
    do {                                                                                                  \
        T e[16];                                                                                          \
        for (int j = 0; j < 4; j++) {                                                                     \
            e[j] = d[j] - d[8 + j];                                                                       \
            e[4 + j] = d[4 + j] + d[8 + j];                                                               \
            e[8 + j] = d[8 + j] - d[4 + j];                                                               \
            e[12 + j] = d[4 + j] - d[12 + j];                                                             \
        }                                                                                                 \
        for (int i = 0; i < 4; i++) {                                                                     \
            w[4 * i] = e[4 * i] - e[4 * i + 2];                                                           \
            w[4 * i + 1] = e[4 * i + 1] + e[4 * i + 2];                                                   \
            w[4 * i + 2] = e[4 * i + 2] - e[4 * i + 1];                                                   \
            w[4 * i + 3] = e[4 * i + 1] - e[4 * i + 3];                                                   \
        }                                                                                                 \
    } while (0)

// Aᵀ = [1 1 1 0; 0 1 -1 -1], applied to the columns of m[16], then to its rows, then + b: y[4]
// (row-major 2×2).
#define OUTPUT_TRANSFORM(T, m, b, y)                                                                      \
    do {                                                                                                  \
        T s[8];                                                                                           \
        for (int j = 0; j < 4; j++) {                                                                     \
            s[j] = m[j] + m[4 + j] + m[8 + j];                                                            \
            s[4 + j] = m[4 + j] - m[8 + j] - m[12 + j];                                                   \
        }                                                                                                 \
        for (int i = 0; i < 2; i++) {                                                                     \
            y[2 * i] = s[4 * i] + s[4 * i + 1] + s[4 * i + 2] + b;                                        \
            y[2 * i + 1] = s[4 * i + 1] - s[4 * i + 2] - s[4 * i + 3] + b;                                \
        }                                                                                                 \
    } while (0)

#define LOAD16(p) ({ vec16 x_; memcpy(&x_, (p), sizeof x_); x_; })
#define STORE16(p, x) do { vec16 y_ = (x); memcpy((p), &y_, sizeof y_); } while (0)

// Tile t's cells (NULL: padding), then 16 channels at a time in vectors, the rest one at a time.
#define INPUT_BODY                                                                                        \
    for (ptrdiff_t t = 0; t < tiles; t++) {                                                               \
        const float *cell[16];                                                                            \
        for (int k = 0; k < 16; k++) {                                                                    \
            const ptrdiff_t x = ix0 + 2 * t + k % 4;                                                      \
            cell[k] = rows[k / 4] && x >= 0 && x < width ? rows[k / 4] + x * channels : NULL;            \
        }                                                                                                 \
        float *out = v + t * channels;                                                                    \
        ptrdiff_t c = 0;                                                                                  \
        for (; c + 16 <= channels; c += 16) {                                                             \
            vec16 d[16], w[16];                                                                           \
            for (int k = 0; k < 16; k++) d[k] = cell[k] ? LOAD16(cell[k] + c) : (vec16){0};               \
            INPUT_TRANSFORM(vec16, d, w);                                                                 \
            for (int k = 0; k < 16; k++) STORE16(out + k * stride + c, w[k]);                             \
        }                                                                                                 \
        for (; c < channels; c++) {                                                                       \
            float d[16], w[16];                                                                           \
            for (int k = 0; k < 16; k++) d[k] = cell[k] ? cell[k][c] : 0.0f;                             \
            INPUT_TRANSFORM(float, d, w);                                                                 \
            for (int k = 0; k < 16; k++) out[k * stride + c] = w[k];                                      \
        }                                                                                                 \
    }

// Tile t's output cells (NULL: past the output's end), then 16 filters at a time, the rest one by one.
#define OUTPUT_BODY                                                                                       \
    for (ptrdiff_t t = 0; t < tiles; t++) {                                                               \
        float *cell[4];                                                                                   \
        for (int k = 0; k < 4; k++) {                                                                     \
            const ptrdiff_t x = 2 * t + k % 2;                                                            \
            cell[k] = rows[k / 2] && x < width ? rows[k / 2] + x * filters : NULL;                        \
        }                                                                                                 \
        const float *in = v + t * filters;                                                                \
        ptrdiff_t f = 0;                                                                                  \
        for (; f + 16 <= filters; f += 16) {                                                              \
            vec16 m[16], y[4];                                                                            \
            for (int k = 0; k < 16; k++) m[k] = LOAD16(in + k * stride + f);                              \
            const vec16 b = bias ? LOAD16(bias + f) : (vec16){0};                                         \
            OUTPUT_TRANSFORM(vec16, m, b, y);                                                             \
            for (int k = 0; k < 4; k++) if (cell[k]) STORE16(cell[k] + f, y[k]);                          \
        }                                                                                                 \
        for (; f < filters; f++) {                                                                        \
            float m[16], y[4];                                                                            \
            for (int k = 0; k < 16; k++) m[k] = in[k * stride + f];                                       \
            const float b = bias ? bias[f] : 0.0f;                                                        \
            OUTPUT_TRANSFORM(float, m, b, y);                                                             \
            for (int k = 0; k < 4; k++) if (cell[k]) cell[k][f] = y[k];                                   \
        }                                                                                                 \
    }

#define INPUT_ARGS const float *const rows[4], ptrdiff_t width, ptrdiff_t channels, ptrdiff_t ix0, ptrdiff_t tiles, \
    float *v, ptrdiff_t stride
#define OUTPUT_ARGS const float *v, ptrdiff_t stride, ptrdiff_t filters, ptrdiff_t tiles, const float *bias, \
    float *const rows[2], ptrdiff_t width

static void input_generic(INPUT_ARGS) { INPUT_BODY }
static void output_generic(OUTPUT_ARGS) { OUTPUT_BODY }

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
static __attribute__((target("avx512f"))) void input_avx512(INPUT_ARGS) { INPUT_BODY }
static __attribute__((target("avx512f"))) void output_avx512(OUTPUT_ARGS) { OUTPUT_BODY }
static __attribute__((target("avx2"))) void input_avx2(INPUT_ARGS) { INPUT_BODY }
static __attribute__((target("avx2"))) void output_avx2(OUTPUT_ARGS) { OUTPUT_BODY }
#endif

void kconv_winograd_input(int path, const float *const rows[4], ptrdiff_t width, ptrdiff_t channels, ptrdiff_t ix0,
                          ptrdiff_t tiles, float *v, ptrdiff_t stride) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (path == KCONV_PATH_AVX512) { input_avx512(rows, width, channels, ix0, tiles, v, stride); return; }
    if (path == KCONV_PATH_AVX2) { input_avx2(rows, width, channels, ix0, tiles, v, stride); return; }
#endif
    (void)path;
    input_generic(rows, width, channels, ix0, tiles, v, stride);
}

void kconv_winograd_output(int path, const float *v, ptrdiff_t stride, ptrdiff_t filters, ptrdiff_t tiles,
                           const float *bias, float *const rows[2], ptrdiff_t width) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (path == KCONV_PATH_AVX512) { output_avx512(v, stride, filters, tiles, bias, rows, width); return; }
    if (path == KCONV_PATH_AVX2) { output_avx2(v, stride, filters, tiles, bias, rows, width); return; }
#endif
    (void)path;
    output_generic(v, stride, filters, tiles, bias, rows, width);
}
