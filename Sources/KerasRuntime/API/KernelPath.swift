import KConvOps

/// Which matrix kernels this process runs (chosen once from the CPU's features), for `kconv bench`.
package enum KernelPath {
    /// `avx2+fma`, or `portable` (Swift, multiply and add rounded separately).
    package static var name: String { GEMM.path }
}
