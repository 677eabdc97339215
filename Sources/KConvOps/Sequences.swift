/// Operations on batches of sequences laid out `(batch, steps, inner)`, row-major, and on pairs of
/// equally shaped outputs (two directions of a recurrence).
package enum Sequences {
    /// `x (batch, steps, inner)` with the step axis reversed.
    package static func reversed(_ x: [Float], batch: Int, steps: Int, inner: Int) -> [Float] {
        var out = x
        for b in 0..<batch {
            for s in 0..<steps {
                let src = (b * steps + s) * inner, dst = (b * steps + steps - 1 - s) * inner
                for i in 0..<inner { out[dst + i] = x[src + i] }
            }
        }
        return out
    }

    /// Rows of `width` of `a` and of `b` joined side by side, `a`'s first: `(rows, 2·width)`.
    package static func joinedRows(_ a: [Float], _ b: [Float], width w: Int) -> [Float] {
        let rows = w > 0 ? a.count / w : 0
        var out = [Float](repeating: 0, count: 2 * a.count)
        for r in 0..<rows {
            for j in 0..<w {
                out[r * 2 * w + j] = a[r * w + j]
                out[r * 2 * w + w + j] = b[r * w + j]
            }
        }
        return out
    }

    /// How two equally shaped arrays combine elementwise.
    package enum Pairwise: Sendable {
        /// `a + b`
        case sum
        /// `a * b`
        case product
        /// `(a + b) / 2`
        case mean
    }

    /// `a` and `b` combined elementwise.
    package static func combined(_ a: [Float], _ b: [Float], _ rule: Pairwise) -> [Float] {
        switch rule {
        case .sum: return zip(a, b).map { $0 + $1 }
        case .product: return zip(a, b).map { $0 * $1 }
        case .mean: return zip(a, b).map { ($0 + $1) / 2 }
        }
    }

    /// `1` for every row of `width` values that holds a non-zero value, else `0`: `(rows)`.
    package static func anyNonZero(_ x: [Float], rows: Int, width: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows)
        for i in out.indices where x[(i * width)..<((i + 1) * width)].contains(where: { $0 != 0 }) {
            out[i] = 1
        }
        return out
    }
}
