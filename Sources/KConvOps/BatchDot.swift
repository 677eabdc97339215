/// Products of batched arrays along one axis each, and the L2 normalisation that may precede them.
package enum BatchDot {
    /// `x` scaled along axis `a`: every vector along the axis times `min(1/sqrt(Σ x²), inverseNormCap)`.
    package static func l2Normalized(_ x: [Float], shape: [Int], axis a: Int, inverseNormCap: Float) -> [Float] {
        let inner = shape[(a + 1)...].reduce(1, *)
        let n = shape[a]
        let outer = shape[..<a].reduce(1, *)
        var y = x
        for o in 0..<outer {
            for i in 0..<inner {
                var s: Float = 0
                for k in 0..<n { let v = x[(o * n + k) * inner + i]; s += v * v }
                let inv = min(1 / s.squareRoot(), inverseNormCap)
                for k in 0..<n { y[(o * n + k) * inner + i] *= inv }
            }
        }
        return y
    }

    /// Per sample `b`: `x` viewed as `(p, k, q)` and `y` as `(r, k, s)` give `out (p, q, r, s)` with
    /// `out[ip, iq, ir, js] = Σ_k x[ip, k, iq] · y[ir, k, js]` (k in increasing order).
    package static func product(_ x: [Float], _ y: [Float], batch: Int, p: Int, k: Int, q: Int, r: Int, s: Int) -> [Float] {
        var out = [Float](repeating: 0, count: batch * p * q * r * s)
        let xSample = p * k * q, ySample = r * k * s, oSample = p * q * r * s
        for b in 0..<batch {
            for ip in 0..<p {
                for iq in 0..<q {
                    for ir in 0..<r {
                        for js in 0..<s {
                            var acc: Float = 0
                            for ik in 0..<k {
                                acc += x[b * xSample + (ip * k + ik) * q + iq] * y[b * ySample + (ir * k + ik) * s + js]
                            }
                            out[b * oSample + ((ip * q + iq) * r + ir) * s + js] = acc
                        }
                    }
                }
            }
        }
        return out
    }
}
