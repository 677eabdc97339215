/// Sequence masks: 1 for a step that counts, 0 for a padded one.
package enum Masks {
    /// 1 where `x` is non-zero, else 0.
    package static func nonZero(_ x: [Float]) -> [Float] {
        x.map { $0 != 0 ? 1 : 0 }
    }

    /// `true` where `x` is non-zero.
    package static func booleans(_ x: [Float]) -> [Bool] {
        x.map { $0 != 0 }
    }

    /// For rows of `rowLength`: the mask (1 where any element differs from `value`) and the rows
    /// with every masked row multiplied by 0 (its elements equal `value`, so only the sign of zero
    /// depends on it). A zero `rowLength` gives `rows` zeros in the mask.
    package static func masking(_ x: [Float], rowLength: Int, rows: Int, value: Float) -> (output: [Float], mask: [Float]) {
        var mask = [Float](repeating: 0, count: rows)
        var out = x
        guard rowLength > 0 else { return (out, mask) }
        for r in 0..<rows {
            let start = r * rowLength
            var keep = false
            for i in start..<start + rowLength where x[i] != value {
                keep = true
                break
            }
            mask[r] = keep ? 1 : 0
            if !keep {
                for i in start..<start + rowLength { out[i] = x[i] * 0 }
            }
        }
        return (out, mask)
    }
}
