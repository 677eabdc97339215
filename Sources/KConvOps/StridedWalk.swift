/// The loop under broadcasting, slicing, transposing and axis reductions: a row-major walk over a
/// box of `counts` (last axis fastest) that keeps two offsets, each advanced by its own per-axis
/// strides (0 along an axis where it stays put).
package enum StridedWalk {
    /// Calls `body(position, a, b)` for every position of the box, in row-major order; `a` and `b`
    /// start at `starts` and move by `strides.a[d]` / `strides.b[d]` per step along axis `d`.
    package static func forEach(counts: [Int], strides: (a: [Int], b: [Int]), starts: (a: Int, b: Int) = (0, 0),
                                _ body: (_ position: Int, _ a: Int, _ b: Int) -> Void) {
        let n = counts.reduce(1, *)
        guard n > 0 else { return }
        let (sa, sb) = strides
        var index = Array(repeating: 0, count: counts.count)
        var (ia, ib) = starts
        for o in 0..<n {
            body(o, ia, ib)
            var d = counts.count - 1
            while d >= 0 {
                index[d] += 1
                ia += sa[d]
                ib += sb[d]
                if index[d] < counts[d] { break }
                ia -= sa[d] * counts[d]
                ib -= sb[d] * counts[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
