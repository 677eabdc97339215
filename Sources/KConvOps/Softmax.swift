import Foundation

/// Softmax, as TensorFlow computes it: `exp(x − max) · (1 / Σ)` (`tf.nn.softmax`), or
/// `exp(x − logsumexp(x))` where a model writes it that way.
package enum Softmax {
    /// `tf.nn.softmax` over consecutive rows of `length`, in place.
    package static func rows(_ x: UnsafeMutableBufferPointer<Float>, length: Int) {
        for row in rowRanges(count: x.count, length: length) {
            let m = maximum(x, row)
            var sum: Float = 0
            for i in row {
                let e = exp(x[i] - m)
                x[i] = e
                sum += e
            }
            let inv = 1 / sum
            for i in row { x[i] *= inv }
        }
    }

    /// `tf.nn.softmax` along `axis` of a row-major tensor of `shape`: the axis moved last, softmax
    /// over its rows, moved back (as TensorFlow transposes for an inner axis).
    package static func along(_ x: [Float], shape: [Int], axis: Int) -> [Float] {
        let last = shape.count - 1
        guard axis != last else {
            var y = x
            rows(&y, length: shape[last])
            return y
        }
        var perm = Array(shape.indices)
        perm.swapAt(axis, last)
        var (moved, y) = Transpose.permute(x, shape: shape, permutation: perm)
        rows(&y, length: moved[last])
        (moved, y) = Transpose.permute(y, shape: moved, permutation: perm)
        return y
    }

    /// `tf.nn.softmax` over consecutive rows of `length` of an array, in place.
    package static func rows(_ x: inout [Float], length: Int) {
        x.withUnsafeMutableBufferPointer { rows($0, length: length) }
    }

    /// `exp(x − logsumexp(x))` over consecutive rows of `length`, in place.
    package static func logSumExpRows(_ x: inout [Float], length: Int) {
        x.withUnsafeMutableBufferPointer { x in
            for row in rowRanges(count: x.count, length: length) {
                let m = maximum(x, row)
                var sum: Float = 0
                for i in row { sum += exp(x[i] - m) }
                let lse = log(sum) + m
                for i in row { x[i] = exp(x[i] - lse) }
            }
        }
    }

    /// The whole rows of `length` among `count` elements (none when `length` is 0).
    private static func rowRanges(count: Int, length: Int) -> [Range<Int>] {
        guard length > 0 else { return [] }
        return (0..<count / length).map { $0 * length..<($0 + 1) * length }
    }

    /// The largest element of `x[row]` (−∞ for an empty row; NaN never wins).
    private static func maximum(_ x: UnsafeMutableBufferPointer<Float>, _ row: Range<Int>) -> Float {
        var m = -Float.infinity
        for i in row { m = max(m, x[i]) }
        return m
    }

    /// Softmax over the reduced axes of each group of `groups`, in place: `exp(x − max) / Σ`, or
    /// with `logSumExp` `exp(x − (log Σ exp(x − max) + max))`.
    package static func grouped(_ y: inout [Float], groups plan: AxisReduction, logSumExp: Bool) {
        var m = [Float](repeating: -.infinity, count: plan.groupCount)
        for i in y.indices { m[plan.group[i]] = max(m[plan.group[i]], y[i]) }
        var sum = [Float](repeating: 0, count: plan.groupCount)
        if logSumExp {
            for i in y.indices { sum[plan.group[i]] += exp(y[i] - m[plan.group[i]]) }
            let lse = zip(sum, m).map { log($0) + $1 }
            for i in y.indices { y[i] = exp(y[i] - lse[plan.group[i]]) }
        } else {
            for i in y.indices { y[i] = exp(y[i] - m[plan.group[i]]); sum[plan.group[i]] += y[i] }
            for i in y.indices { y[i] /= sum[plan.group[i]] }
        }
    }

    /// A score `v` with mask value `m` (1 keep, 0 masked) before a softmax: `v + (1 − m)·offset`,
    /// or with `replace` `m > 0.5 ? v : offset`.
    package static func maskedScore(_ v: Float, _ m: Float, offset: Float, replace: Bool) -> Float {
        replace ? (m > 0.5 ? v : offset) : v + (1 - m) * offset
    }
}
