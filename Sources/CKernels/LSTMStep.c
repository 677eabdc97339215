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

/// The cell on one row of one whole gate block (16 units): gates at `gates`, i f c o 16 apart.
typedef void (*block_cell_fn)(const float *gates, const float *c, float *h_next, float *c_next, int a, int ra);

#if defined(__aarch64__)
/// Four lanes at a time.
static void block_neon(const float *gates, const float *c, float *h_next, float *c_next, int a, int ra) {
    for (int j = 0; j < GATE_BLOCK; j += 4) lstm4(gates + j, GATE_BLOCK, c + j, h_next + j, c_next + j, a, ra);
}

static block_cell_fn block_cell(int path) {
    (void)path;
    return block_neon;
}
#else
/// Sixteen lanes at a time.
static KCONV_AVX512_MATH void block_avx512(const float *gates, const float *c, float *h_next, float *c_next, int a, int ra) {
    lstm16(gates, GATE_BLOCK, c, h_next, c_next, a, ra);
}

/// Eight lanes at a time.
static KCONV_AVX2 void block_avx2(const float *gates, const float *c, float *h_next, float *c_next, int a, int ra) {
    lstm8(gates, GATE_BLOCK, c, h_next, c_next, a, ra);
    lstm8(gates + 8, GATE_BLOCK, c + 8, h_next + 8, c_next + 8, a, ra);
}

static block_cell_fn block_cell(int path) { return path == KCONV_PATH_AVX512 ? block_avx512 : block_avx2; }
#endif

/// The cell on one row of a gate block of `width` ≤ 16 units; a partial block through padded copies
/// (the padding's results are dropped).
static void cell(block_cell_fn block, const float *gates, const float *c, float *h_next, float *c_next, ptrdiff_t width,
                 int a, int ra) {
    if (width == GATE_BLOCK) {
        block(gates, c, h_next, c_next, a, ra);
        return;
    }
    float cell_state[GATE_BLOCK] = {0}, h[GATE_BLOCK], cn[GATE_BLOCK];
    memcpy(cell_state, c, (size_t)width * sizeof(float));
    block(gates, cell_state, h, cn, a, ra);
    memcpy(h_next, h, (size_t)width * sizeof(float));
    memcpy(c_next, cn, (size_t)width * sizeof(float));
}

void kconv_lstm_step(int path, const float *h, ptrdiff_t ldh, const float *packed, float *z, ptrdiff_t rows, ptrdiff_t u,
                     const float *c, float *h_next, float *c_next, int activation, int recurrent_activation) {
    const ptrdiff_t blocks = (u + GATE_BLOCK - 1) / GATE_BLOCK, ldz = 4 * GATE_BLOCK * blocks;
    const block_cell_fn block = block_cell(path);
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
                    cell(block, gates + x * ldz, c + at, h_next + at, c_next + at, width, activation, recurrent_activation);
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
