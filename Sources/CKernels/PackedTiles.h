// The register tiles of PackedGEMM.c, for CKernels' own fused kernels (not part of the module's
// interface).
#ifndef KCONV_PACKED_TILES_H
#define KCONV_PACKED_TILES_H

#include <stddef.h>

/// C[rows × 16·panels] += A[rows × depth] · (panels of B), on one fused path (KCONV_PATH_AVX512
/// or KCONV_PATH_AVX2 on x86-64, KCONV_PATH_NEON on arm64), for rows ≤ 6 and any number of whole panels: b points at the first
/// panel's first row used, consecutive panels `bstride` floats apart. The same fused multiply-adds
/// per element, in the same order over the depth, as kconv_gemm_packed.
void kconv_gemm_tile(int path, int rows, int panels, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t bstride,
                     float *c, ptrdiff_t ldc, ptrdiff_t depth);

#endif
