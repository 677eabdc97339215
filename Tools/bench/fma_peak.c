// Single-thread FP32 FMA peak of this CPU, in GFLOP/s (2 FLOPs per lane per fused multiply-add):
// a loop of independent fused multiply-adds on 16 registers, 512-bit wide when the CPU has AVX-512F,
// else 256-bit (AVX2 + FMA), else 128-bit NEON on arm64. Tools/bench/benchmark.py builds and runs it.
// Prints: "<width> <GFLOP/s>" for the widest path, then the same for narrower x86 paths.
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define ITERATIONS 200000000L

#if defined(__x86_64__)
#include <immintrin.h>

#define LOOP(VEC, SET1, FMA, ADD, LANES)                                              \
    VEC a0 = SET1(1.0f), a1 = SET1(1.1f), a2 = SET1(1.2f), a3 = SET1(1.3f);          \
    VEC a4 = SET1(1.4f), a5 = SET1(1.5f), a6 = SET1(1.6f), a7 = SET1(1.7f);          \
    VEC a8 = SET1(1.8f), a9 = SET1(1.9f), a10 = SET1(2.0f), a11 = SET1(2.1f);        \
    const VEC x = SET1(0.999999f), y = SET1(1e-7f);                                   \
    double t0 = now();                                                                \
    for (long i = 0; i < n; i++) {                                                    \
        a0 = FMA(a0, x, y); a1 = FMA(a1, x, y); a2 = FMA(a2, x, y); a3 = FMA(a3, x, y); \
        a4 = FMA(a4, x, y); a5 = FMA(a5, x, y); a6 = FMA(a6, x, y); a7 = FMA(a7, x, y); \
        a8 = FMA(a8, x, y); a9 = FMA(a9, x, y); a10 = FMA(a10, x, y); a11 = FMA(a11, x, y); \
        __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3));               \
    }                                                                                 \
    double t = now() - t0;                                                            \
    VEC s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));        \
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                                      \
    float out[LANES];                                                                 \
    __builtin_memcpy(out, &s, sizeof out);                                            \
    sink += out[0];                                                                   \
    return 12.0 * 2 * LANES * n / t / 1e9;

static volatile float sink;

__attribute__((target("avx512f"))) static double peak512(long n) {
    LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16)
}

__attribute__((target("avx2,fma"))) static double peak256(long n) {
    LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8)
}

static double best(double (*f)(long)) {
    f(ITERATIONS / 20);  // warm-up: clocks and AVX-512 licence
    double b = 0;
    for (int r = 0; r < 3; r++) {
        double g = f(ITERATIONS / 4);
        if (g > b) b = g;
    }
    return b;
}

int main(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) printf("512 %.1f\n", best(peak512));
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) printf("256 %.1f\n", best(peak256));
    return 0;
}

#elif defined(__aarch64__)
#include <arm_neon.h>

static volatile float sink;

static double peak128(long n) {
    float32x4_t a[12];
    for (int i = 0; i < 12; i++) a[i] = vdupq_n_f32(1.0f + 0.1f * i);
    const float32x4_t x = vdupq_n_f32(0.999999f), y = vdupq_n_f32(1e-7f);
    double t0 = now();
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < 12; j++) a[j] = vfmaq_f32(y, a[j], x);
    }
    double t = now() - t0;
    float32x4_t s = a[0];
    for (int j = 1; j < 12; j++) s = vaddq_f32(s, a[j]);
    sink += vgetq_lane_f32(s, 0);
    return 12.0 * 2 * 4 * n / t / 1e9;
}

int main(void) {
    peak128(ITERATIONS / 20);
    double b = 0;
    for (int r = 0; r < 3; r++) {
        double g = peak128(ITERATIONS / 4);
        if (g > b) b = g;
    }
    printf("128 %.1f\n", b);
    return 0;
}
#else
int main(void) { return 1; }
#endif
