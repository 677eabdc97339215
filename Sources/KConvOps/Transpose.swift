/// Reordering the axes of a row-major tensor.
package enum Transpose {
    /// The elements of `x` (of `shape`) with axis `permutation[d]` of the input as axis `d` of the
    /// output; returns the output shape and elements.
    package static func permute(_ x: [Float], shape: [Int], permutation perm: [Int]) -> (shape: [Int], scalars: [Float]) {
        let rank = shape.count
        let outShape = perm.map { shape[$0] }
        var inStrides = Array(repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] }
        let strides = perm.map { inStrides[$0] }
        var out = [Float](repeating: 0, count: x.count)
        out.withUnsafeMutableBufferPointer { out in
            StridedWalk.forEach(counts: outShape, strides: (strides, Array(repeating: 0, count: rank))) { o, src, _ in
                out[o] = x[src]
            }
        }
        return (outShape, out)
    }
}
