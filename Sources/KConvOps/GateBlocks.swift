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
    /// The `(rows, gates·units)` matrix of gate blocks re-laid in blocks of `block` units: for unit block
    /// `j`, columns `gates·block·j ..< gates·block·(j + 1)` hold gate 0's units `block·j ..< block·(j + 1)`,
    /// then gate 1's, ..., zero beyond `units`. Returns `(rows, gates·block·⌈units / block⌉)` values.
    package static func interleaved(_ m: [Float], rows: Int, units u: Int, gates: Int, block: Int) -> [Float] {
        let blocks = (u + block - 1) / block, width = gates * block * blocks, g = gates * u
        var out = [Float](repeating: 0, count: rows * width)
        for i in 0..<rows {
            for gate in 0..<gates {
                for unit in 0..<u {
                    out[i * width + (unit / block * gates + gate) * block + unit % block] = m[i * g + gate * u + unit]
                }
            }
        }
        return out
    }
}
