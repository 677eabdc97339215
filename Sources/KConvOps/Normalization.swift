import Foundation

/// Normalisations over some axes of a row-major array, with per-index parameters along the kept
/// (or the normalised) axes. Parameter arrays are indexed row-major over those axes.
package enum Normalization {
    /// The multiplier and offset of a normalisation with fixed statistics, as TensorFlow folds it:
    /// `m = gamma / sqrt(variance + epsilon)`, `o = beta − mean·m` (gamma 1 and beta 0 when absent).
    package static func foldedAffine(gamma: [Float]?, beta: [Float]?, mean: [Float], variance: [Float],
                                     epsilon: Float) -> (multiplier: [Float], offset: [Float]) {
        let multiplier = mean.indices.map { i in (gamma?[i] ?? 1) / (variance[i] + epsilon).squareRoot() }
        let offset = mean.indices.map { i in (beta?[i] ?? 0) - mean[i] * multiplier[i] }
        return (multiplier, offset)
    }

    /// `y = x·multiplier[k] + offset[k]`, `k` the element's index over the `kept` axes.
    package static func affine(_ x: [Float], shape: [Int], kept: [Int], multiplier: [Float], offset: [Float]) -> [Float] {
        let index = AxisReduction.keptIndex(shape: shape, kept: kept)
        var y = x
        for i in y.indices { let k = index(i); y[i] = y[i] * multiplier[k] + offset[k] }
        return y
    }

    /// Per group of the `reduced` axes: mean and population variance (accumulated in Double), then
    /// `inv = rsqrt(var + epsilon)·gamma[p]`, `y = x·inv + (beta[p] − mean·inv)`; with `rmsScaling`
    /// `y = x·rsqrt(var + epsilon)·gamma[p]`. `p` is the element's index over the reduced axes.
    package static func layerNormalized(_ x: [Float], shape: [Int], reduced: Set<Int>, epsilon: Float,
                                        gamma: [Float]?, beta: [Float]?, rmsScaling: Bool) -> [Float] {
        let size = reduced.reduce(1) { $0 * shape[$1] }
        let lastOnly = reduced == [shape.count - 1]
        let plan = lastOnly ? nil : AxisReduction(shape: shape, reduced: reduced)
        let groups = size == 0 ? 0 : x.count / size
        @inline(__always) func group(_ i: Int) -> Int { plan?.group[i] ?? i / size }
        @inline(__always) func position(_ i: Int) -> Int { plan?.position[i] ?? i % size }
        var sum = [Double](repeating: 0, count: groups)
        for i in x.indices { sum[group(i)] += Double(x[i]) }
        let mean = sum.map { Float($0 / Double(max(size, 1))) }
        var squares = [Double](repeating: 0, count: groups)
        for i in x.indices { let d = Double(x[i] - mean[group(i)]); squares[group(i)] += d * d }
        let rsqrt = squares.map { 1 / (Float($0 / Double(max(size, 1))) + epsilon).squareRoot() }
        var y = x
        for i in y.indices {
            let g = group(i), p = position(i)
            if rmsScaling {
                y[i] = x[i] * rsqrt[g] * (gamma?[p] ?? 1)
            } else {
                let inv = rsqrt[g] * (gamma?[p] ?? 1)
                y[i] = x[i] * inv + ((beta?[p] ?? 0) - mean[g] * inv)
            }
        }
        return y
    }

    /// Per group of the `reduced` axes: `y = x · min(1/sqrt(Σ x²), inverseNormCap)`.
    package static func unitNormalized(_ x: [Float], shape: [Int], reduced: Set<Int>, inverseNormCap: Float) -> [Float] {
        let plan = AxisReduction(shape: shape, reduced: reduced)
        var sums = [Float](repeating: 0, count: plan.groupCount)
        for i in x.indices { sums[plan.group[i]] += x[i] * x[i] }
        let inv = sums.map { min(1 / $0.squareRoot(), inverseNormCap) }
        var y = x
        for i in y.indices { y[i] *= inv[plan.group[i]] }
        return y
    }

    /// The divisor of a standardisation: `max(sqrt(variance), 1e-7)`.
    package static func standardDeviations(_ variance: [Float]) -> [Float] {
        variance.map { max($0.squareRoot(), 1e-7) }
    }

    /// `y = (x − mean[k]) / scale[k]`, or with `invert` `y = mean[k] + x·scale[k]`, `k` the
    /// element's index over the `kept` axes.
    package static func standardized(_ x: [Float], shape: [Int], kept: [Int], mean: [Float], scale: [Float],
                                     invert: Bool) -> [Float] {
        let group = AxisReduction.keptIndex(shape: shape, kept: kept)
        var y = x
        for i in y.indices {
            let k = group(i)
            y[i] = invert ? mean[k] + y[i] * scale[k] : (y[i] - mean[k]) / scale[k]
        }
        return y
    }
}
