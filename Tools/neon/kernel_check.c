// Checks CKernels' packed GEMM (Sources/CKernels/PackedGEMM.c) on every fused path this CPU runs
// against a scalar reference that makes the same fused multiply-adds (fmaf, p = 0, 1, ... in
// order), bit for bit, on shapes that hit every tile and edge; and the fused LSTM step
// (LSTMStep.c) on every path against each other, and the Winograd convolution's transforms
// (Winograd.c) around the GEMM against a scalar reference. Prints one line per product and step with a hash
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

/// One Winograd F(2×2, 3×3) convolution (Winograd.c's transforms around kconv_gemm_packed, as
/// KConvOps' WinogradConvolution runs them) of a (h, w, channels) image with 'same' padding when
/// `same`, on every fused path, against a scalar reference with the same operations in the same
/// order (the transforms' additions, fmaf products): bit for bit; one line per case with a hash.
static int check_winograd(const int *paths, const char **names) {
    static const int cases[][5] = {{5, 7, 20, 19, 1}, {6, 6, 16, 32, 0}, {3, 4, 33, 17, 0}, {9, 8, 48, 64, 1}};
    int failures = 0;
    for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
        const int h = cases[s][0], w = cases[s][1], ch = cases[s][2], f = cases[s][3], same = cases[s][4];
        const int oh = same ? h : h - 2, ow = same ? w : w - 2, pad = same ? 1 : 0;
        const int trow = (ow + 1) / 2, tiles = ((oh + 1) / 2) * trow;
        state = (uint64_t)(h * 7919 + w * 104729 + ch * 31 + f);
        float *x = malloc(sizeof(float) * h * w * ch), *g = malloc(sizeof(float) * 9 * ch * f), *bias = malloc(sizeof(float) * f);
        for (int i = 0; i < h * w * ch; i++) x[i] = next_value();
        for (int i = 0; i < 9 * ch * f; i++) g[i] = next_value();
        for (int i = 0; i < f; i++) bias[i] = next_value();
        // U = G·g·Gᵀ in double, rounded once (as WinogradConvolution.init).
        static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
        float *u = malloc(sizeof(float) * 16 * ch * f), *packed[16];
        for (int e = 0; e < ch * f; e++)
            for (int a = 0; a < 4; a++) {
                double t[3];
                for (int kx = 0; kx < 3; kx++) {
                    t[kx] = 0;
                    for (int ky = 0; ky < 3; ky++) t[kx] += G[a][ky] * (double)g[(3 * ky + kx) * ch * f + e];
                }
                for (int b = 0; b < 4; b++) {
                    double sum = 0;
                    for (int kx = 0; kx < 3; kx++) sum += G[b][kx] * t[kx];
                    u[(4 * a + b) * ch * f + e] = (float)sum;
                }
            }
        for (int k = 0; k < 16; k++) packed[k] = pack(u + k * ch * f, ch, f);
        // The reference: per tile, d → Bᵀ·d·B, products with fmaf over the channels, Aᵀ·m·A + bias.
        float *want = malloc(sizeof(float) * oh * ow * f), *got = malloc(sizeof(float) * oh * ow * f);
        for (int ty = 0; ty < (oh + 1) / 2; ty++)
            for (int tx = 0; tx < trow; tx++) {
                float v[16][64], m[16][64];
                for (int c = 0; c < ch; c++) {
                    float d[16], e[16];
                    for (int k = 0; k < 16; k++) {
                        const int iy = 2 * ty - pad + k / 4, ix = 2 * tx - pad + k % 4;
                        d[k] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[(iy * w + ix) * ch + c] : 0.0f;
                    }
                    for (int j = 0; j < 4; j++) {
                        e[j] = d[j] - d[8 + j]; e[4 + j] = d[4 + j] + d[8 + j];
                        e[8 + j] = d[8 + j] - d[4 + j]; e[12 + j] = d[4 + j] - d[12 + j];
                    }
                    for (int i = 0; i < 4; i++) {
                        v[4 * i][c] = e[4 * i] - e[4 * i + 2]; v[4 * i + 1][c] = e[4 * i + 1] + e[4 * i + 2];
                        v[4 * i + 2][c] = e[4 * i + 2] - e[4 * i + 1]; v[4 * i + 3][c] = e[4 * i + 1] - e[4 * i + 3];
                    }
                }
                for (int k = 0; k < 16; k++)
                    for (int j = 0; j < f; j++) {
                        float acc = 0;
                        for (int c = 0; c < ch; c++) acc = fmaf(v[k][c], u[(k * ch + c) * f + j], acc);
                        m[k][j] = acc;
                    }
                for (int j = 0; j < f; j++) {
                    float t0[4], t1[4];
                    for (int q = 0; q < 4; q++) {
                        t0[q] = m[q][j] + m[4 + q][j] + m[8 + q][j];
                        t1[q] = m[4 + q][j] - m[8 + q][j] - m[12 + q][j];
                    }
                    const float y[4] = {t0[0] + t0[1] + t0[2] + bias[j], t0[1] - t0[2] - t0[3] + bias[j],
                                        t1[0] + t1[1] + t1[2] + bias[j], t1[1] - t1[2] - t1[3] + bias[j]};
                    for (int k = 0; k < 4; k++) {
                        const int oy = 2 * ty + k / 2, ox = 2 * tx + k % 2;
                        if (oy < oh && ox < ow) want[(oy * ow + ox) * f + j] = y[k];
                    }
                }
            }
        const int stride_v = tiles * ch + 16, stride_m = tiles * f + 16;
        float *tv = malloc(sizeof(float) * 16 * stride_v), *tm = malloc(sizeof(float) * 16 * stride_m);
        float *zeros = calloc((size_t)f, sizeof(float));
        for (int p = 0; p < 3; p++) {
            if (!kconv_path_available(paths[p])) continue;
            for (int ty = 0; ty < (oh + 1) / 2; ty++) {
                const float *rows[4];
                for (int i = 0; i < 4; i++) {
                    const int iy = 2 * ty - pad + i;
                    rows[i] = iy >= 0 && iy < h ? x + iy * w * ch : NULL;
                }
                kconv_winograd_input(paths[p], rows, w, ch, -pad, trow, tv + ty * trow * ch, stride_v);
            }
            for (int k = 0; k < 16; k++)
                kconv_gemm_packed(paths[p], tv + k * stride_v, ch, packed[k], ch, ch, f, zeros, tm + k * stride_m, f, tiles, 0, (f + 15) / 16);
            for (int ty = 0; ty < (oh + 1) / 2; ty++) {
                float *rows[2] = {got + 2 * ty * ow * f, 2 * ty + 1 < oh ? got + (2 * ty + 1) * ow * f : NULL};
                kconv_winograd_output(paths[p], tm + ty * trow * f, stride_m, f, trow, bias, rows, ow);
            }
            if (memcmp(got, want, sizeof(float) * oh * ow * f) != 0) {
                fprintf(stderr, "MISMATCH winograd %s h %d w %d channels %d filters %d\n", names[p], h, w, ch, f);
                failures++;
            }
        }
        printf("winograd h %d w %d channels %d filters %d same %d  result bits %016llx\n", h, w, ch, f, same,
               (unsigned long long)hash(want, (size_t)oh * ow * f));
        for (int k = 0; k < 16; k++) free(packed[k]);
        free(x); free(g); free(bias); free(u); free(want); free(got); free(tv); free(tm); free(zeros);
    }
    fprintf(stderr, "%d Winograd mismatches against the scalar reference\n", failures);
    return failures;
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
    const int winograd_failures = check_winograd(paths, names);
    return failures || step_failures || winograd_failures || checked == 0 ? 1 : 0;
}
