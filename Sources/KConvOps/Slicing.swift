/// Numpy's basic indexing of row-major tensors: a start, step and count along every axis.
package enum Slicing {
    /// Python's `slice(start, stop, step).indices(length)`: the first index and the number of
    /// elements taken (missing ends default by the step's sign, negative ones count from the end,
    /// out-of-range ones are clamped). `step` must not be 0.
    package static func resolve(start: Int?, stop: Int?, step: Int, length: Int) -> (start: Int, count: Int) {
        let lower = step < 0 ? -1 : 0, upper = step < 0 ? length - 1 : length
        func clamp(_ v: Int?, _ fallback: Int) -> Int {
            guard var v else { return fallback }
            if v < 0 {
                v += length
                return max(v, lower)
            }
            return min(v, upper)
        }
        let first = clamp(start, step < 0 ? upper : lower)
        let end = clamp(stop, step < 0 ? lower : upper)
        let count = step > 0 ? (end - first + step - 1) / step : (first - end - step - 1) / -step
        return (first, max(count, 0))
    }

    /// The elements `x[starts[d] + i·steps[d]]` for `i < counts[d]` along every axis `d` of `shape`,
    /// in row-major order of the result (shape `counts`).
    package static func gather(_ x: [Float], shape: [Int], starts: [Int], steps: [Int], counts: [Int]) -> [Float] {
        let rank = shape.count
        let n = counts.reduce(1, *)
        guard n > 0 else { return [] }
        var strides = Array(repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let moves = (0..<rank).map { strides[$0] * steps[$0] }
        let first = (0..<rank).reduce(0) { $0 + starts[$1] * strides[$1] }
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { out in
            StridedWalk.forEach(counts: counts, strides: (moves, Array(repeating: 0, count: rank)), starts: (first, 0)) { o, src, _ in
                out[o] = x[src]
            }
        }
        return out
    }
}
