/// Re-layouts of gate-blocked weight matrices: a `(rows, blocks·width)` matrix, row-major, holds
/// `blocks` side-by-side `(rows, width)` blocks, one per gate. Copies only: no value changes.
package enum GateBlocks {
    /// Every block `G` replaced by `G.T` read back into `G`'s shape in column-major order (NumPy's
    /// `G.T.reshape(G.shape, order='F')`): `G'[i][j] = flatC(G)[j·rows + i]`. A square block
    /// becomes its transpose.
    package static func transposedReshape(_ m: [Float], rows n: Int, width u: Int, blocks: Int) -> [Float] {
        let g = blocks * u
        var out = [Float](repeating: 0, count: n * g)
        for q in 0..<blocks {
            let col = q * u
            for i in 0..<n {
                for j in 0..<u {
                    // flatC(G)[f] with f = j·rows + i is G[f / u][f % u].
                    let f = j * n + i
                    out[i * g + col + j] = m[(f / u) * g + col + f % u]
                }
            }
        }
        return out
    }

    /// The columns `range` of a `(rows, width)` matrix, as a `(rows, range.count)` matrix.
    package static func columns(_ m: [Float], rows: Int, width: Int, _ range: Range<Int>) -> [Float] {
        let w = range.count
        var out = [Float](repeating: 0, count: rows * w)
        for i in 0..<rows {
            for j in 0..<w { out[i * w + j] = m[i * width + range.lowerBound + j] }
        }
        return out
    }

    /// `v[j] + v[half + j]` for `j < half`, `half = v.count / 2`: two stacked bias vectors summed.
    package static func sumOfHalves(_ v: [Float]) -> [Float] {
        let half = v.count / 2
        var out = [Float](repeating: 0, count: half)
        for j in 0..<half { out[j] = v[j] + v[half + j] }
        return out
    }

    /// The gate-block layout of a `(rows, gates·units)` matrix of side-by-side gate blocks: for each
    /// block of `block` units, one slot of `block` columns per gate. Returns, slot by slot, the source
    /// columns it holds (at most `block`; the rest of a slot is zero): gate 0's units
    /// `block·j ..< block·(j + 1)`, then gate 1's, ..., for j = 0, 1, ...
    package static func blockColumns(units u: Int, gates: Int, block: Int) -> [Range<Int>] {
        stride(from: 0, to: u, by: block).flatMap { first in
            (0..<gates).map { gate in gate * u + first..<gate * u + min(first + block, u) }
        }
    }

    /// The `(rows, gates·units)` matrix `m` in the layout of `blockColumns`: `(rows, slots·block)` values.
    package static func interleaved(_ m: [Float], rows: Int, units u: Int, gates: Int, block: Int) -> [Float] {
        let slots = blockColumns(units: u, gates: gates, block: block)
        let width = slots.count * block, g = gates * u
        var out = [Float](repeating: 0, count: rows * width)
        for i in 0..<rows {
            for (q, columns) in slots.enumerated() {
                for (j, column) in columns.enumerated() { out[i * width + q * block + j] = m[i * g + column] }
            }
        }
        return out
    }
}
