// Checks CKernels' packed GEMM (Sources/CKernels/PackedGEMM.c) on every fused path this CPU runs
// against a scalar reference that makes the same fused multiply-adds (fmaf, p = 0, 1, ... in
// order), bit for bit, on shapes that hit every tile and edge; and the fused LSTM step
// (LSTMStep.c) on every path against each other. Prints one line per product and step with a hash
// of its result bits, so that the lines of two machines (x86-64 natively, arm64 under qemu:
// Tools/neon_check.sh) can be compared. Exits 1 on any mismatch.
#include "CKernels.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static float next_value(void) {  // uniform in [-1, 1) on a 2^-23 grid
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(state >> 41) / (float)(1 << 22) - 1.0f;
}

/// B (k × n, row-major) into zero-padded panels of 16 columns, as KConvOps' PackedMatrix lays it out.
static float *pack(const float *b, int k, int n) {
    const int panels = (n + 15) / 16;
    float *p = calloc((size_t)panels * k * 16 + 1, sizeof(float));
    for (int q = 0; q < panels; q++)
        for (int r = 0; r < k; r++)
            for (int j = 0; j < 16 && q * 16 + j < n; j++) p[((size_t)q * k + r) * 16 + j] = b[(size_t)r * n + q * 16 + j];
    return p;
}

/// A hash of the values' bits, every NaN counted as one: an operation that makes a NaN (inf · 0)
/// makes x86's negative quiet NaN but arm64's positive one; values, infinities and signed zeros
/// count bit for bit.
static uint64_t hash(const float *c, size_t count) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, c + i, sizeof bits);
        if (isnan(c[i])) bits = 0x7fc00000u;
        h = (h ^ bits) * 1099511628211ULL;
    }
    return h;
}

/// U (u × 4u, gates i f c o side by side) in kconv_lstm_step's layout: for each block of 16 units, one
/// zero-padded panel of 16 columns per gate, u rows long.
static float *pack_gate_blocks(const float *w, int u) {
    const int blocks = (u + 15) / 16;
    float *p = calloc((size_t)blocks * 4 * u * 16 + 1, sizeof(float));
    for (int j = 0; j < blocks; j++)
        for (int g = 0; g < 4; g++)
            for (int r = 0; r < u; r++)
                for (int t = 0; t < 16 && 16 * j + t < u; t++)
                    p[((size_t)(4 * j + g) * u + r) * 16 + t] = w[(size_t)r * 4 * u + g * u + 16 * j + t];
    return p;
}

/// kconv_lstm_step on every fused path this CPU runs: the paths must agree bit for bit, and one line
/// per case prints a hash of the new states (h', c') for the comparison between machines. Gate
/// pre-activations include NaN, infinities and values past the activations' clamps.
static int check_lstm_steps(const int *paths, const char **names) {
    static const int cases[][2] = {{1, 12}, {1, 128}, {2, 16}, {3, 28}, {7, 37}, {13, 64}};
    static const int activations[][2] = {
        {KCONV_ACTIVATION_TANH, KCONV_ACTIVATION_SIGMOID}, {KCONV_ACTIVATION_RELU, KCONV_ACTIVATION_SIGMOID},
        {KCONV_ACTIVATION_LINEAR, KCONV_ACTIVATION_TANH}, {KCONV_ACTIVATION_TANH, KCONV_ACTIVATION_RELU},
    };
    static const float specials[] = {NAN, INFINITY, -INFINITY, 120.f, -120.f, 8.5f, -8.5f, 17.f, -105.f, 1e-39f, -0.0f};
    int failures = 0, checked = 0;
    for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
        const int rows = cases[s][0], u = cases[s][1], width = 64 * ((u + 15) / 16);
        state = (uint64_t)(rows * 7919 + u);
        float *h = malloc(sizeof(float) * rows * u), *c = malloc(sizeof(float) * rows * u), *w = malloc(sizeof(float) * u * 4 * u);
        float *z0 = calloc((size_t)rows * width, sizeof(float)), *z = malloc(sizeof(float) * rows * width);
        float *first = malloc(sizeof(float) * 2 * rows * u), *got = malloc(sizeof(float) * 2 * rows * u);
        for (int i = 0; i < rows * u; i++) { h[i] = next_value(); c[i] = 4 * next_value(); }
        for (int i = 0; i < u * 4 * u; i++) w[i] = next_value() / 4;
        int special = 0;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < width; j++)
                if (j % 64 % 16 + 16 * (j / 64) < u) {   // a real unit's gate (the padding stays zero)
                    z0[i * width + j] = (i * width + j) % 13 == 0 ? specials[special++ % 11] : 6 * next_value();
                }
        float *packed = pack_gate_blocks(w, u);
        for (size_t a = 0; a < sizeof activations / sizeof activations[0]; a++) {
            int have = 0;
            for (int x = 0; x < 3; x++) {
                if (!kconv_path_available(paths[x])) continue;
                memcpy(z, z0, sizeof(float) * rows * width);
                kconv_lstm_step(paths[x], h, u, packed, z, rows, u, c, got, got + rows * u, activations[a][0], activations[a][1]);
                checked++;
                if (!have) {
                    memcpy(first, got, sizeof(float) * 2 * rows * u);
                    have = 1;
                } else if (memcmp(first, got, sizeof(float) * 2 * rows * u) != 0) {
                    fprintf(stderr, "LSTM MISMATCH %s rows %d units %d activations %d/%d\n", names[x], rows, u,
                            activations[a][0], activations[a][1]);
                    failures++;
                }
            }
            printf("lstm rows %2d units %3d activations %d/%d  state bits %016llx\n", rows, u, activations[a][0], activations[a][1],
                   (unsigned long long)hash(first, (size_t)2 * rows * u));
        }
        free(h); free(c); free(w); free(z0); free(z); free(first); free(got); free(packed);
    }
    fprintf(stderr, "%d LSTM steps checked on the fused paths, %d mismatches between paths\n", checked, failures);
    return failures || checked == 0;
}

int main(void) {
    static const int shapes[][3] = {
        {1, 1, 1}, {1, 7, 5}, {1, 128, 512}, {1, 28, 112}, {2, 33, 17}, {3, 9, 64}, {4, 100, 200}, {5, 16, 48},
        {6, 300, 64}, {7, 1, 33}, {13, 576, 64}, {64, 12, 48}, {64, 128, 512}, {100, 9, 200}, {257, 700, 70},
    };
    static const int paths[] = {KCONV_PATH_AVX512, KCONV_PATH_AVX2, KCONV_PATH_NEON};
    static const char *names[] = {"avx512", "avx2", "neon"};
    int failures = 0, checked = 0;
    fprintf(stderr, "paths:");
    for (int x = 0; x < 3; x++)
        if (kconv_path_available(paths[x])) fprintf(stderr, " %s", names[x]);
    fprintf(stderr, "\n");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        state = (uint64_t)(m * 1000003 + k * 1009 + n);
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
        float *c0 = malloc(sizeof(float) * m * n), *want = malloc(sizeof(float) * m * n), *got = malloc(sizeof(float) * m * n);
        for (int i = 0; i < m * k; i++) a[i] = next_value();
        for (int i = 0; i < k * n; i++) b[i] = next_value();
        for (int i = 0; i < m * n; i++) c0[i] = next_value();  // the bias, or what is accumulated onto
        // Odd shapes start from a bias (row 0 of c0 on every row), even ones accumulate onto c0.
        const int biased = s % 2 == 1;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float acc = biased ? c0[j] : c0[i * n + j];
                for (int p = 0; p < k; p++) acc = fmaf(a[i * k + p], b[p * n + j], acc);
                want[i * n + j] = acc;
            }
        float *packed = pack(b, k, n);
        for (int x = 0; x < 3; x++) {
            if (!kconv_path_available(paths[x])) continue;
            if (biased) {
                for (int i = 0; i < m * n; i++) got[i] = NAN;  // must not be read
            } else {
                memcpy(got, c0, sizeof(float) * m * n);
            }
            kconv_gemm_packed(paths[x], a, k, packed, k, k, n, biased ? c0 : NULL, got, n, m, 0, (n + 15) / 16);
            checked++;
            if (memcmp(got, want, sizeof(float) * m * n) != 0) {
                fprintf(stderr, "MISMATCH %s m %d k %d n %d\n", names[x], m, k, n);
                failures++;
            }
        }
        printf("m %4d k %4d n %4d  result bits %016llx\n", m, k, n, (unsigned long long)hash(want, (size_t)m * n));
        free(a); free(b); free(c0); free(want); free(got); free(packed);
    }
    fprintf(stderr, "%d products checked on the fused paths, %d mismatches against the fmaf reference\n", checked, failures);
    const int step_failures = check_lstm_steps(paths, names);
    return failures || step_failures || checked == 0 ? 1 : 0;
}
