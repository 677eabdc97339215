/// Row lookups in a table (embeddings).
package enum Gather {
    /// The rows of a `(rows, width)` table at `indices` (each truncated toward zero), one after the
    /// other; or `.failure` with the first index that is not a row of the table.
    package static func rows(of table: [Float], rows: Int, width: Int, at indices: [Float]) -> Result<[Float], OutOfRange> {
        var out = [Float]()
        out.reserveCapacity(indices.count * width)
        for v in indices {
            let t = v.rounded(.towardZero)
            guard t.isFinite, t >= 0, t < Float(rows) else { return .failure(OutOfRange(index: v)) }
            let row = Int(t)
            out.append(contentsOf: table[row * width..<(row + 1) * width])
        }
        return .success(out)
    }

    /// An index outside the table.
    package struct OutOfRange: Error {
        package let index: Float
    }
}
