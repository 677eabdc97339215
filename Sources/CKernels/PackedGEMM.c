// Matrix products on weights packed once (KConvOps' PackedMatrix): C += A · B with B in zero-padded
// panels of 16 columns. One register-tile kernel per path — AVX-512F, AVX2 + FMA, NEON — sized for
// that path's register file; all run the same fused multiply-adds per element of C, in the same
// order over k, so the paths agree bit for bit (see kconv_gemm_packed in CKernels.h).
//
// Swift on Linux compiles for baseline x86-64, and a package cannot raise that without unsafe
// flags: the x86 kernels carry their own target attributes and run only after
// kconv_path_available says the CPU has the extensions. Hand-written C because Swift's SIMD types
// neither fuse multiply-adds nor reach 512-bit registers on that baseline.
#include "CKernels.h"
#include "PackedTiles.h"
#include <string.h>

/// Floats per packed panel row.
#define PANEL 16
/// Largest row tile of any path, and the most panels any path takes at once.
#define MAX_ROWS 6
#define MAX_PANELS 8
/// Rows of C per row block (its block of A, ROW_BLOCK × depth block, stays in L2).
#define ROW_BLOCK 96
/// Floats of a panel group's depth block: 32 KB, so the block of B a row tile reads stays in L1.
#define GROUP_BLOCK 8192

#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 32")
#endif

/// A path's tile dispatcher: `rows` × `panels` of C from the depth block at a and b.
typedef void (*tile_fn)(int rows, int panels, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t bstride,
                        const float *bias, float *c, ptrdiff_t ldc, ptrdiff_t depth);

static inline ptrdiff_t min_p(ptrdiff_t x, ptrdiff_t y) { return x < y ? x : y; }

/// The blocking shared by every path, in the classic order: depth blocks (the block of B a panel
/// group reads stays in L1, the block of A in L2), row blocks, panel groups of up to
/// `most_panels[r]` panels for row tiles of r rows, row tiles of up to `max_rows`. A group that holds
/// the last, partial panel computes its tiles in a padded copy of C, so no column past n is touched.
static void drive(tile_fn tile, int max_rows, const int *most_panels, const float *a, ptrdiff_t lda,
                  const float *packed, ptrdiff_t panel_rows, ptrdiff_t k, ptrdiff_t n, const float *bias, float *c,
                  ptrdiff_t ldc, ptrdiff_t rows, ptrdiff_t panel_begin, ptrdiff_t panel_end) {
    const ptrdiff_t bstride = PANEL * panel_rows;
    const int group = most_panels[min_p(max_rows, rows)];
    const ptrdiff_t depth_block = GROUP_BLOCK / (group * PANEL);
    for (ptrdiff_t p0 = 0; p0 < k; p0 += depth_block) {
        const ptrdiff_t depth = min_p(depth_block, k - p0);
        for (ptrdiff_t i0 = 0; i0 < rows; i0 += ROW_BLOCK) {
            const ptrdiff_t i1 = min_p(i0 + ROW_BLOCK, rows);
            for (ptrdiff_t q = panel_begin; q < panel_end; q += group) {
                const int panels = (int)min_p(group, panel_end - q);
                const ptrdiff_t columns = min_p((ptrdiff_t)panels * PANEL, n - q * PANEL);
                const int padded = columns < (ptrdiff_t)panels * PANEL;
                const float *b = packed + q * bstride + p0 * PANEL;
                // The bias starts the accumulators of the first depth block only.
                const float *start = p0 == 0 && bias ? bias + q * PANEL : NULL;
                float padded_bias[MAX_PANELS * PANEL];
                if (start && padded) {
                    memcpy(padded_bias, start, (size_t)columns * sizeof(float));
                    memset(padded_bias + columns, 0, (size_t)((ptrdiff_t)panels * PANEL - columns) * sizeof(float));
                    start = padded_bias;
                }
                for (ptrdiff_t i = i0; i < i1;) {
                    const int r = (int)min_p(max_rows, i1 - i);
                    float *ct = c + i * ldc + q * PANEL;
                    if (!padded) {
                        tile(r, panels, a + i * lda + p0, lda, b, bstride, start, ct, ldc, depth);
                    } else {
                        float edge[MAX_ROWS * MAX_PANELS * PANEL];
                        const ptrdiff_t width = (ptrdiff_t)panels * PANEL;
                        for (int x = 0; x < r && !start; x++) {
                            memcpy(edge + x * width, ct + x * ldc, (size_t)columns * sizeof(float));
                            memset(edge + x * width + columns, 0, (size_t)(width - columns) * sizeof(float));
                        }
                        tile(r, panels, a + i * lda + p0, lda, b, bstride, start, edge, width, depth);
                        for (int x = 0; x < r; x++) memcpy(ct + x * ldc, edge + x * width, (size_t)columns * sizeof(float));
                    }
                    i += r;
                }
            }
        }
    }
}

// A tile of R rows × P panels: R·P·L accumulators of L vectors per panel row, loaded from C (or from
// the bias, then C is not read), then for
// each p one fused multiply-add per accumulator with a[r][p] broadcast, then stored. R and P are
// literals, so the loops unroll and the arrays live in registers.
#define TILE_BODY(VEC, L, LOAD, STORE, BCAST, FMA, R, P)                                              \
    VEC acc[R][(P) * (L)];                                                                            \
    UNROLL for (int r = 0; r < (R); r++)                                                   \
        UNROLL for (int j = 0; j < (P) * (L); j++)                                         \
            acc[r][j] = LOAD((bias ? bias : c + r * ldc) + j * (PANEL / (L)));                        \
    for (ptrdiff_t p = 0; p < depth; p++) {                                                           \
        VEC w[(P) * (L)];                                                                             \
        UNROLL for (int j = 0; j < (P) * (L); j++)                                         \
            w[j] = LOAD(b + (j / (L)) * bstride + PANEL * p + (j % (L)) * (PANEL / (L)));             \
        UNROLL for (int r = 0; r < (R); r++) {                                             \
            const VEC x = BCAST(a + r * lda + p);                                                     \
            UNROLL for (int j = 0; j < (P) * (L); j++) acc[r][j] = FMA(x, w[j], acc[r][j]); \
        }                                                                                             \
    }                                                                                                 \
    UNROLL for (int r = 0; r < (R); r++)                                                   \
        UNROLL for (int j = 0; j < (P) * (L); j++)                                         \
            STORE(c + r * ldc + j * (PANEL / (L)), acc[r][j]);

/// One fixed tile shape.
typedef void (*fixed_tile_fn)(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t bstride, const float *bias,
                              float *c, ptrdiff_t ldc, ptrdiff_t depth);

#define TILE_ARGS const float *a, ptrdiff_t lda, const float *b, ptrdiff_t bstride, const float *bias, float *c, \
    ptrdiff_t ldc, ptrdiff_t depth
#define TILE_CALL a, lda, b, bstride, bias, c, ldc, depth

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// ---- AVX-512F: one zmm per panel row; up to 6 rows × 4 panels (24 accumulators), 8 panels for 1–2 rows.
#define KCONV_AVX512 __attribute__((target("avx512f")))
#define Z_LOAD(p) _mm512_loadu_ps(p)
#define Z_STORE(p, v) _mm512_storeu_ps(p, v)
#define Z_BCAST(p) _mm512_set1_ps(*(p))
#define Z_FMA(x, w, acc) _mm512_fmadd_ps(x, w, acc)
#define Z_TILE(R, P) \
    static KCONV_AVX512 void z_tile_##R##_##P(TILE_ARGS) { TILE_BODY(__m512, 1, Z_LOAD, Z_STORE, Z_BCAST, Z_FMA, R, P) }
Z_TILE(1, 1) Z_TILE(1, 2) Z_TILE(1, 3) Z_TILE(1, 4) Z_TILE(1, 5) Z_TILE(1, 6) Z_TILE(1, 7) Z_TILE(1, 8)
Z_TILE(2, 1) Z_TILE(2, 2) Z_TILE(2, 3) Z_TILE(2, 4) Z_TILE(2, 5) Z_TILE(2, 6) Z_TILE(2, 7) Z_TILE(2, 8)
Z_TILE(3, 1) Z_TILE(3, 2) Z_TILE(3, 3) Z_TILE(3, 4)
Z_TILE(4, 1) Z_TILE(4, 2) Z_TILE(4, 3) Z_TILE(4, 4)
Z_TILE(5, 1) Z_TILE(5, 2) Z_TILE(5, 3) Z_TILE(5, 4)
Z_TILE(6, 1) Z_TILE(6, 2) Z_TILE(6, 3) Z_TILE(6, 4)

static const int z_panels[MAX_ROWS + 1] = {0, 8, 8, 4, 4, 4, 4};

static void z_tile(int rows, int panels, TILE_ARGS) {
    static const fixed_tile_fn table[MAX_ROWS][MAX_PANELS] = {
        {z_tile_1_1, z_tile_1_2, z_tile_1_3, z_tile_1_4, z_tile_1_5, z_tile_1_6, z_tile_1_7, z_tile_1_8},
        {z_tile_2_1, z_tile_2_2, z_tile_2_3, z_tile_2_4, z_tile_2_5, z_tile_2_6, z_tile_2_7, z_tile_2_8},
        {z_tile_3_1, z_tile_3_2, z_tile_3_3, z_tile_3_4},
        {z_tile_4_1, z_tile_4_2, z_tile_4_3, z_tile_4_4},
        {z_tile_5_1, z_tile_5_2, z_tile_5_3, z_tile_5_4},
        {z_tile_6_1, z_tile_6_2, z_tile_6_3, z_tile_6_4},
    };
    table[rows - 1][panels - 1](TILE_CALL);
}

// ---- AVX2 + FMA: two ymm per panel row; 6 rows × 1 panel (12 accumulators), more panels for fewer rows.
#define KCONV_FMA_TARGET __attribute__((target("avx2,fma")))
#define Y_LOAD(p) _mm256_loadu_ps(p)
#define Y_STORE(p, v) _mm256_storeu_ps(p, v)
#define Y_BCAST(p) _mm256_broadcast_ss(p)
#define Y_FMA(x, w, acc) _mm256_fmadd_ps(x, w, acc)
#define Y_TILE(R, P) \
    static KCONV_FMA_TARGET void y_tile_##R##_##P(TILE_ARGS) { TILE_BODY(__m256, 2, Y_LOAD, Y_STORE, Y_BCAST, Y_FMA, R, P) }
Y_TILE(1, 1) Y_TILE(1, 2) Y_TILE(1, 3) Y_TILE(1, 4)
Y_TILE(2, 1) Y_TILE(2, 2) Y_TILE(2, 3)
Y_TILE(3, 1) Y_TILE(3, 2)
Y_TILE(4, 1) Y_TILE(5, 1) Y_TILE(6, 1)

static const int y_panels[MAX_ROWS + 1] = {0, 4, 3, 2, 1, 1, 1};

static void y_tile(int rows, int panels, TILE_ARGS) {
    static const fixed_tile_fn table[MAX_ROWS][MAX_PANELS] = {
        {y_tile_1_1, y_tile_1_2, y_tile_1_3, y_tile_1_4},
        {y_tile_2_1, y_tile_2_2, y_tile_2_3},
        {y_tile_3_1, y_tile_3_2},
        {y_tile_4_1}, {y_tile_5_1}, {y_tile_6_1},
    };
    table[rows - 1][panels - 1](TILE_CALL);
}

int kconv_path_available(int path) {
    __builtin_cpu_init();
    switch (path) {
    case KCONV_PATH_AVX512: return __builtin_cpu_supports("avx512f");
    case KCONV_PATH_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    default: return 0;
    }
}

void kconv_gemm_tile(int path, int rows, int panels, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t bstride,
                     float *c, ptrdiff_t ldc, ptrdiff_t depth) {
    const tile_fn tile = path == KCONV_PATH_AVX512 ? z_tile : y_tile;
    const int group = (path == KCONV_PATH_AVX512 ? z_panels : y_panels)[rows];
    for (int q = 0; q < panels; q += group) {
        tile(rows, (int)min_p(group, panels - q), a, lda, b + q * bstride, bstride, NULL, c + q * PANEL, ldc, depth);
    }
}

void kconv_gemm_packed(int path, const float *a, ptrdiff_t lda, const float *packed, ptrdiff_t panel_rows,
                       ptrdiff_t k, ptrdiff_t n, const float *bias, float *c, ptrdiff_t ldc, ptrdiff_t rows,
                       ptrdiff_t panel_begin, ptrdiff_t panel_end) {
    if (path == KCONV_PATH_AVX512) {
        drive(z_tile, MAX_ROWS, z_panels, a, lda, packed, panel_rows, k, n, bias, c, ldc, rows, panel_begin, panel_end);
    } else if (path == KCONV_PATH_AVX2) {
        drive(y_tile, MAX_ROWS, y_panels, a, lda, packed, panel_rows, k, n, bias, c, ldc, rows, panel_begin, panel_end);
    }
}

#elif defined(__aarch64__)
#include <arm_neon.h>

// ---- NEON: four q registers per panel row; 6 rows × 1 panel (24 accumulators), more panels for fewer rows.
#define N_LOAD(p) vld1q_f32(p)
#define N_STORE(p, v) vst1q_f32(p, v)
#define N_BCAST(p) vld1q_dup_f32(p)
#define N_FMA(x, w, acc) vfmaq_f32(acc, x, w)
#define N_TILE(R, P) \
    static void n_tile_##R##_##P(TILE_ARGS) { TILE_BODY(float32x4_t, 4, N_LOAD, N_STORE, N_BCAST, N_FMA, R, P) }
N_TILE(1, 1) N_TILE(1, 2) N_TILE(1, 3) N_TILE(1, 4)
N_TILE(2, 1) N_TILE(2, 2)
N_TILE(3, 1) N_TILE(4, 1) N_TILE(5, 1) N_TILE(6, 1)

static const int n_panels[MAX_ROWS + 1] = {0, 4, 2, 1, 1, 1, 1};

static void n_tile(int rows, int panels, TILE_ARGS) {
    static const fixed_tile_fn table[MAX_ROWS][MAX_PANELS] = {
        {n_tile_1_1, n_tile_1_2, n_tile_1_3, n_tile_1_4},
        {n_tile_2_1, n_tile_2_2},
        {n_tile_3_1}, {n_tile_4_1}, {n_tile_5_1}, {n_tile_6_1},
    };
    table[rows - 1][panels - 1](TILE_CALL);
}

int kconv_path_available(int path) { return path == KCONV_PATH_NEON; }

void kconv_gemm_tile(int path, int rows, int panels, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t bstride,
                     float *c, ptrdiff_t ldc, ptrdiff_t depth) {
    (void)path;
    const int group = n_panels[rows];
    for (int q = 0; q < panels; q += group) {
        n_tile(rows, (int)min_p(group, panels - q), a, lda, b + q * bstride, bstride, NULL, c + q * PANEL, ldc, depth);
    }
}

void kconv_gemm_packed(int path, const float *a, ptrdiff_t lda, const float *packed, ptrdiff_t panel_rows,
                       ptrdiff_t k, ptrdiff_t n, const float *bias, float *c, ptrdiff_t ldc, ptrdiff_t rows,
                       ptrdiff_t panel_begin, ptrdiff_t panel_end) {
    if (path == KCONV_PATH_NEON) drive(n_tile, MAX_ROWS, n_panels, a, lda, packed, panel_rows, k, n, bias, c, ldc, rows, panel_begin, panel_end);
}

#else

int kconv_path_available(int path) { (void)path; return 0; }

void kconv_gemm_packed(int path, const float *a, ptrdiff_t lda, const float *packed, ptrdiff_t panel_rows,
                       ptrdiff_t k, ptrdiff_t n, const float *bias, float *c, ptrdiff_t ldc, ptrdiff_t rows,
                       ptrdiff_t panel_begin, ptrdiff_t panel_end) {
    (void)path; (void)a; (void)lda; (void)packed; (void)panel_rows; (void)k; (void)bias; (void)n; (void)c; (void)ldc; (void)rows;
    (void)panel_begin; (void)panel_end;
}

#endif
