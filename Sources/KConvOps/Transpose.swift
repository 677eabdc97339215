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
        var index = Array(repeating: 0, count: rank)
        var src = 0
        for o in 0..<x.count {
            out[o] = x[src]
            // Advance the output multi-index (last axis fastest) and the input offset with it.
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                src += strides[d]
                if index[d] < outShape[d] { break }
                src -= strides[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
        return (outShape, out)
    }
}
