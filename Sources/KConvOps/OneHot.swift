/// One-hot encoding of whole-number indices.
package enum OneHot {
    /// For indices of shape `outer × inner` (row-major), the `outer × depth × inner` array holding
    /// `on` at `[o, index[o, i], i]` and `off` elsewhere; an index outside `0..<depth` gives a row of
    /// `off` only. Indices are whole numbers held as floats.
    package static func encode(_ indices: [Float], outer: Int, inner: Int, depth: Int, on: Float, off: Float) -> [Float] {
        var out = [Float](repeating: off, count: outer * depth * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let v = indices[o * inner + i]
                guard v >= 0, v < Float(depth) else { continue }
                out[(o * depth + Int(v)) * inner + i] = on
            }
        }
        return out
    }
}
