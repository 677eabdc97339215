/// Single-precision matrix products, the hot path of Dense, im2col convolutions and LSTM projections.
///
/// All matrices are row-major. The kernel walks four rows of `A` at a time so every row of `B`
/// loaded from memory serves four output rows; the innermost loop runs over contiguous columns
/// and is vectorised by the compiler.
enum GEMM {
    /// `C[m×n] = A[m×k] · B[k×n]` (+ `bias[n]` on every row when given; `C` is overwritten).
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, bias: UnsafePointer<Float>? = nil, accumulate: Bool = false
    ) {
        if !accumulate {
            for i in 0..<m {
                let row = c + i * n
                if let bias { row.update(from: bias, count: n) } else { row.update(repeating: 0, count: n) }
            }
        } else if let bias {
            for i in 0..<m {
                let row = c + i * n
                for j in 0..<n { row[j] += bias[j] }
            }
        }
        var i = 0
        while i + 4 <= m {
            let c0 = c + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n
            let a0 = a + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k
            for p in 0..<k {
                let x0 = a0[p], x1 = a1[p], x2 = a2[p], x3 = a3[p]
                let brow = b + p * n
                for j in 0..<n {
                    let w = brow[j]
                    c0[j] += x0 * w
                    c1[j] += x1 * w
                    c2[j] += x2 * w
                    c3[j] += x3 * w
                }
            }
            i += 4
        }
        while i < m {
            let c0 = c + i * n
            let a0 = a + i * k
            for p in 0..<k {
                let x0 = a0[p]
                let brow = b + p * n
                for j in 0..<n { c0[j] += x0 * brow[j] }
            }
            i += 1
        }
    }

    /// Array convenience: `A[m×k] · B[k×n] (+ bias)`.
    static func multiply(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, bias: [Float]? = nil) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0 else { return c }
        if k == 0 {
            if let bias { for i in 0..<m { for j in 0..<n { c[i * n + j] = bias[j] } } }
            return c
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    if let bias {
                        bias.withUnsafeBufferPointer { pbias in
                            multiply(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, m: m, k: k, n: n, bias: pbias.baseAddress)
                        }
                    } else {
                        multiply(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, m: m, k: k, n: n)
                    }
                }
            }
        }
        return c
    }
}
