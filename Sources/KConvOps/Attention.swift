import Foundation

/// Attention over blocks of queries, keys and values: scores, a softmax over the keys, and the
/// probability-weighted sum of the values.
package enum Attention {
    /// How a query row and a key row make a score.
    package enum Score: Sendable {
        /// `Σ_d q_d·k_d`, times `scale` when given.
        case dot(scale: Float?)
        /// `weight · Σ_d tanh(scale·(q_d + k_d))` (`scale` 1 when absent).
        case concat(scale: Float?, weight: Float)
        /// `Σ_d scale_d · tanh(q_d + k_d)` (`scale` empty: all 1).
        case additive(scale: [Float])
    }

    /// Per block `b`: queries `(tq, dim)`, keys `(tv, dim)`, values `(tv, dv)`. A masked key (value
    /// mask false, or `causal` and after the query) has `maskedOffset` subtracted from its score
    /// before the row softmax (`Softmax.rows`); a masked query's output row is multiplied by 0.
    /// Returns the outputs `(blocks, tq, dv)` and the probabilities `(blocks, tq, tv)`.
    package static func attend(query q: [Float], key k: [Float], value v: [Float], blocks: Int,
                               queries tq: Int, keys tv: Int, dim: Int, valueDim dv: Int, score: Score,
                               queryMask: [Bool]?, valueMask: [Bool]?, causal: Bool,
                               maskedOffset: Float) -> (output: [Float], probabilities: [Float]) {
        var probabilities = [Float](repeating: 0, count: blocks * tq * tv)
        var out = [Float](repeating: 0, count: blocks * tq * dv)
        for b in 0..<blocks {
            var scores = [Float](repeating: 0, count: tq * tv)
            for i in 0..<tq {
                let qRow = (b * tq + i) * dim
                for j in 0..<tv {
                    let kRow = (b * tv + j) * dim
                    var sum: Float = 0
                    switch score {
                    case .dot(let scale):
                        for d in 0..<dim { sum += q[qRow + d] * k[kRow + d] }
                        if let scale { sum *= scale }
                    case .concat(let scale, let weight):
                        for d in 0..<dim {
                            let x = q[qRow + d] + k[kRow + d]
                            sum += tanh(scale.map { $0 * x } ?? x)
                        }
                        sum = weight * sum
                    case .additive(let scale):
                        for d in 0..<dim {
                            let t = tanh(q[qRow + d] + k[kRow + d])
                            sum += scale.isEmpty ? t : scale[d] * t
                        }
                    }
                    let keep = (valueMask?[b * tv + j] ?? true) && (!causal || j <= i)
                    scores[i * tv + j] = keep ? sum : sum - maskedOffset
                }
            }
            Softmax.rows(&scores, length: tv)
            for i in 0..<tq {
                let oRow = (b * tq + i) * dv
                let zero = !(queryMask?[b * tq + i] ?? true)
                for j in 0..<tv {
                    let p = scores[i * tv + j]
                    let vRow = (b * tv + j) * dv
                    for d in 0..<dv { out[oRow + d] += p * v[vRow + d] }
                }
                if zero { for d in 0..<dv { out[oRow + d] *= 0 } }
            }
            probabilities.replaceSubrange(b * tq * tv ..< (b + 1) * tq * tv, with: scores)
        }
        return (out, probabilities)
    }

    /// Multi-head attention on projected rows: queries `(batch·t, heads·keyDim)` (already scaled),
    /// keys `(batch·s, heads·keyDim)`, values `(batch·s, heads·valueDim)`. Scores `(batch, heads, t, s)`
    /// (`causal`: a key after the query gets `−maskedOffset` added), a softmax over the keys
    /// (`logSumExp`: `exp(x − logsumexp(x))`), then the context `(batch·t, heads·valueDim)`.
    package static func multiHead(query qp: [Float], key kp: [Float], value vp: [Float], batch: Int, heads: Int,
                                  queries t: Int, keys sLen: Int, keyDim: Int, valueDim: Int, causal: Bool,
                                  logSumExp: Bool, maskedOffset: Float) -> (context: [Float], scores: [Float]) {
        var scores = [Float](repeating: 0, count: batch * heads * t * sLen)
        var context = [Float](repeating: 0, count: batch * t * heads * valueDim)
        let hk = heads * keyDim, hv = heads * valueDim
        // Row (b, h, i) of the scores starts at `row · sLen`; query i of head h at (b·t + i)·hk + h·keyDim.
        forEachHeadRow(batch: batch, heads: heads, queries: t) { b, h, i, row in
            let qRow = (b * t + i) * hk + h * keyDim
            for j in 0..<sLen {
                let kRow = (b * sLen + j) * hk + h * keyDim
                var sum: Float = 0
                for d in 0..<keyDim { sum += qp[qRow + d] * kp[kRow + d] }
                scores[row * sLen + j] = causal && j > i ? sum + -maskedOffset : sum
            }
        }
        if logSumExp {
            Softmax.logSumExpRows(&scores, length: sLen)
        } else {
            Softmax.rows(&scores, length: sLen)
        }
        forEachHeadRow(batch: batch, heads: heads, queries: t) { b, h, i, row in
            let cRow = (b * t + i) * hv + h * valueDim
            for j in 0..<sLen {
                let p = scores[row * sLen + j]
                let vRow = (b * sLen + j) * hv + h * valueDim
                for e in 0..<valueDim { context[cRow + e] += p * vp[vRow + e] }
            }
        }
        return (context, scores)
    }

    /// Calls `body(b, h, i, row)` for every query `i` of every head `h` of every sample `b`, in that
    /// nesting order, with `row` the index of that (b, h, i) row of the scores.
    private static func forEachHeadRow(batch: Int, heads: Int, queries t: Int, _ body: (Int, Int, Int, Int) -> Void) {
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<t { body(b, h, i, (b * heads + h) * t + i) }
            }
        }
    }
}
