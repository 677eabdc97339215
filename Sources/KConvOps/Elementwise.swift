/// Binary elementwise functions with TensorFlow's NaN rules, and in-place scalings.
package enum Elementwise {
    /// `max(a, b)`, NaN when either is NaN (`tf.maximum`).
    package static func maximum(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : max(a, b) }

    /// `min(a, b)`, NaN when either is NaN (`tf.minimum`).
    package static func minimum(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : min(a, b) }

    /// 1 where `a == b`, else 0 (NaN equals nothing).
    package static func equal(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 }

    /// 1 where `a != b`, else 0 (NaN differs from everything, itself included).
    package static func notEqual(_ a: Float, _ b: Float) -> Float { a != b ? 1 : 0 }

    /// 1 where `a > b`, else 0 (false when either is NaN); `greaterEqual`, `less`, `lessEqual` alike.
    package static func greater(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 }
    package static func greaterEqual(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 }
    package static func less(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 }
    package static func lessEqual(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 }

    /// `floor(a / b)` of float32 values, as TensorFlow's float `FloorDiv` (the quotient rounded to
    /// float32 first; ±∞ and NaN where `b` is 0).
    package static func floorDivide(_ a: Float, _ b: Float) -> Float { (a / b).rounded(.down) }

    /// The floor of the exact quotient of two whole numbers of magnitude at most 2^24 (integer
    /// `FloorDiv`): their float64 quotient is within 2^-48 relative of the exact one, so it never
    /// rounds across a whole number. `b` must not be 0.
    package static func integerFloorDivide(_ a: Float, _ b: Float) -> Float {
        Float((Double(a) / Double(b)).rounded(.down))
    }

    /// 1 where both are non-zero, else 0.
    package static func and(_ a: Float, _ b: Float) -> Float { a != 0 && b != 0 ? 1 : 0 }

    /// 1 where either is non-zero, else 0.
    package static func or(_ a: Float, _ b: Float) -> Float { a != 0 || b != 0 ? 1 : 0 }

    /// `x[i] *= factor` for every element.
    package static func multiply(_ x: inout [Float], by factor: Float) {
        for i in x.indices { x[i] *= factor }
    }

    /// `x[i] /= divisor` for every element.
    package static func divide(_ x: inout [Float], by divisor: Float) {
        for i in x.indices { x[i] /= divisor }
    }

    /// `x` where `x > theta`, else `x·0` (so NaN stays NaN and the sign of zero is kept).
    package static func thresholded(_ x: inout [Float], theta: Float) {
        for i in x.indices where !(x[i] > theta) { x[i] *= 0 }
    }

    /// `relu(v) − alpha·relu(−v)`.
    package static func parametricReLU(_ v: Float, _ alpha: Float) -> Float { max(v, 0) - alpha * max(-v, 0) }

    /// `y = x·scale[c] + offset[c]` along the last axis of length `channels` (a 1-element
    /// `scale` or `offset` applies to every element).
    package static func scaledAndShifted(_ x: [Float], channels c: Int, scale: [Float], offset: [Float]) -> [Float] {
        var y = x
        for i in y.indices {
            y[i] = y[i] * scale[scale.count == 1 ? 0 : i % c] + offset[offset.count == 1 ? 0 : i % c]
        }
        return y
    }
}
