// The LSTM time step with its recurrent product and its cell in one pass over each register tile
// (kconv_lstm_step in CKernels.h): the gate pre-activations of a tile of rows and sixteen units are
// completed in registers by the packed GEMM's tile, stored once (into z, where they stay in L1), and
// turned into h' and c' right away. The product runs the packed GEMM's fused multiply-adds and the
// cell the operations of kconv_lstm_cell_avx2, so the results are those of the two passes it
// replaces, bit for bit, on every path (AVX-512 and AVX2 on x86-64, NEON on arm64).
#include "CKernels.h"
#include "PackedTiles.h"
#include "VectorActivations.h"

#include <string.h>

#if (defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))) || defined(__aarch64__)

/// Units per gate block: one panel of the packed recurrent kernel per gate.
#define GATE_BLOCK 16
/// Rows per register tile (the packed GEMM's largest).
#define TILE_ROWS 6

#if defined(__aarch64__)
/// The cell on one row of one gate block (`width` ≤ 16 units), four lanes at a time.
static void cell_neon(const float *gates, const float *c, float *h_next, float *c_next, ptrdiff_t width, int a, int ra) {
    if (width == GATE_BLOCK) {
        for (int j = 0; j < GATE_BLOCK; j += 4) lstm4(gates + j, GATE_BLOCK, c + j, h_next + j, c_next + j, a, ra);
        return;
    }
    float cell[GATE_BLOCK] = {0}, h[GATE_BLOCK], cn[GATE_BLOCK];
    memcpy(cell, c, (size_t)width * sizeof(float));
    for (int j = 0; j < GATE_BLOCK; j += 4) lstm4(gates + j, GATE_BLOCK, cell + j, h + j, cn + j, a, ra);
    memcpy(h_next, h, (size_t)width * sizeof(float));
    memcpy(c_next, cn, (size_t)width * sizeof(float));
}

/// The cell of one row of one gate block on `path` (NEON on arm64).
static void cell(int path, const float *gates, const float *c, float *h_next, float *c_next, ptrdiff_t width, int a, int ra) {
    (void)path;
    cell_neon(gates, c, h_next, c_next, width, a, ra);
}
#else
/// The cell on one row of one gate block (`width` ≤ 16 units), sixteen lanes at a time.
static KCONV_AVX512_MATH void cell_avx512(const float *gates, const float *c, float *h_next, float *c_next,
                                          ptrdiff_t width, int a, int ra) {
    if (width == GATE_BLOCK) {
        lstm16(gates, GATE_BLOCK, c, h_next, c_next, a, ra);
        return;
    }
    float cell[GATE_BLOCK] = {0}, h[GATE_BLOCK], cn[GATE_BLOCK];
    memcpy(cell, c, (size_t)width * sizeof(float));
    lstm16(gates, GATE_BLOCK, cell, h, cn, a, ra);
    memcpy(h_next, h, (size_t)width * sizeof(float));
    memcpy(c_next, cn, (size_t)width * sizeof(float));
}

/// The cell on one row of one gate block, eight lanes at a time.
static KCONV_AVX2 void cell_avx2(const float *gates, const float *c, float *h_next, float *c_next, ptrdiff_t width,
                                 int a, int ra) {
    if (width == GATE_BLOCK) {
        lstm8(gates, GATE_BLOCK, c, h_next, c_next, a, ra);
        lstm8(gates + 8, GATE_BLOCK, c + 8, h_next + 8, c_next + 8, a, ra);
        return;
    }
    float cell[GATE_BLOCK] = {0}, h[GATE_BLOCK], cn[GATE_BLOCK];
    memcpy(cell, c, (size_t)width * sizeof(float));
    lstm8(gates, GATE_BLOCK, cell, h, cn, a, ra);
    lstm8(gates + 8, GATE_BLOCK, cell + 8, h + 8, cn + 8, a, ra);
    memcpy(h_next, h, (size_t)width * sizeof(float));
    memcpy(c_next, cn, (size_t)width * sizeof(float));
}

/// The cell of one row of one gate block on `path`.
static void cell(int path, const float *gates, const float *c, float *h_next, float *c_next, ptrdiff_t width, int a, int ra) {
    if (path == KCONV_PATH_AVX512) {
        cell_avx512(gates, c, h_next, c_next, width, a, ra);
    } else {
        cell_avx2(gates, c, h_next, c_next, width, a, ra);
    }
}
#endif

void kconv_lstm_step(int path, const float *h, ptrdiff_t ldh, const float *packed, float *z, ptrdiff_t rows, ptrdiff_t u,
                     const float *c, float *h_next, float *c_next, int activation, int recurrent_activation) {
    const ptrdiff_t blocks = (u + GATE_BLOCK - 1) / GATE_BLOCK, ldz = 4 * GATE_BLOCK * blocks;
    // One or two rows make too few accumulator chains for the FMA units' latency: their tiles take
    // two gate blocks (eight panels) at once.
    const ptrdiff_t group = rows <= 2 ? 2 : 1;
    // Block group by block group, so that the group's panels of U (u × 64 floats per block) stay in
    // L1 over all rows.
    for (ptrdiff_t j0 = 0; j0 < blocks; j0 += group) {
        const ptrdiff_t j1 = j0 + group < blocks ? j0 + group : blocks;
        for (ptrdiff_t i = 0; i < rows; i += TILE_ROWS) {
            const int r = (int)(rows - i < TILE_ROWS ? rows - i : TILE_ROWS);
            float *tile = z + i * ldz + 4 * GATE_BLOCK * j0;
            if (packed) {
                kconv_gemm_tile(path, r, (int)(4 * (j1 - j0)), h + i * ldh, ldh, packed + 4 * j0 * GATE_BLOCK * u,
                                GATE_BLOCK * u, tile, ldz, u);
            }
            for (ptrdiff_t j = j0; j < j1; j++) {
                const ptrdiff_t first = GATE_BLOCK * j, width = u - first < GATE_BLOCK ? u - first : GATE_BLOCK;
                const float *gates = z + i * ldz + 4 * GATE_BLOCK * j;
                for (int x = 0; x < r; x++) {
                    const ptrdiff_t at = (i + x) * u + first;
                    cell(path, gates + x * ldz, c + at, h_next + at, c_next + at, width, activation, recurrent_activation);
                }
            }
        }
    }
}

#else

void kconv_lstm_step(int path, const float *h, ptrdiff_t ldh, const float *packed, float *z, ptrdiff_t rows, ptrdiff_t u,
                     const float *c, float *h_next, float *c_next, int activation, int recurrent_activation) {
    (void)path; (void)h; (void)ldh; (void)packed; (void)z; (void)rows; (void)u; (void)c; (void)h_next; (void)c_next;
    (void)activation; (void)recurrent_activation;
}

#endif
