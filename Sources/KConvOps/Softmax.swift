import Foundation

/// Softmax, as TensorFlow computes it: `exp(x − max) · (1 / Σ)` (`tf.nn.softmax`), or
/// `exp(x − logsumexp(x))` where a model writes it that way.
package enum Softmax {
    /// `tf.nn.softmax` over consecutive rows of `length`, in place.
    package static func rows(_ x: UnsafeMutableBufferPointer<Float>, length: Int) {
        guard length > 0 else { return }
        var start = 0
        while start + length <= x.count {
            var m = -Float.infinity
            for i in start..<start + length { m = max(m, x[i]) }
            var sum: Float = 0
            for i in start..<start + length {
                let e = exp(x[i] - m)
                x[i] = e
                sum += e
            }
            let inv = 1 / sum
            for i in start..<start + length { x[i] *= inv }
            start += length
        }
    }

    /// `tf.nn.softmax` over consecutive rows of `length` of an array, in place.
    package static func rows(_ x: inout [Float], length: Int) {
        x.withUnsafeMutableBufferPointer { rows($0, length: length) }
    }

    /// `exp(x − logsumexp(x))` over consecutive rows of `length`, in place.
    package static func logSumExpRows(_ x: inout [Float], length: Int) {
        guard length > 0 else { return }
        var start = 0
        while start + length <= x.count {
            var m = -Float.infinity
            for i in start..<start + length { m = max(m, x[i]) }
            var sum: Float = 0
            for i in start..<start + length { sum += exp(x[i] - m) }
            let lse = log(sum) + m
            for i in start..<start + length { x[i] = exp(x[i] - lse) }
            start += length
        }
    }
}
