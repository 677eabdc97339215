// Checks CKernels' packed GEMM (Sources/CKernels/PackedGEMM.c) on every fused path this CPU runs
// against a scalar reference that makes the same fused multiply-adds (fmaf, p = 0, 1, ... in
// order), bit for bit, on shapes that hit every tile and edge. Prints one line per product with a
// hash of its result bits, so that the lines of two machines (x86-64 natively, arm64 under qemu:
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

static uint64_t hash(const float *c, size_t count) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, c + i, sizeof bits);
        h = (h ^ bits) * 1099511628211ULL;
    }
    return h;
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
    return failures || checked == 0 ? 1 : 0;
}
