import KConvOps

/// Which matrix kernels this process runs (chosen once from the CPU's features), for `kconv bench`.
package enum KernelPath {
    /// `avx512`, `avx2`, `neon`, or `portable` (Swift, multiply and add rounded separately).
    package static var name: String { GEMM.path.rawValue }
}
