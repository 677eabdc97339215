import Foundation

/// Elementwise math functions of one float32 tensor, computed as TensorFlow's float32 kernels do.
package enum UnaryMath: String, Sendable, CaseIterable {
    /// `eˣ` (∞ above ~88.7, 0 far below).
    case exp
    /// Natural logarithm: −∞ at 0, NaN below 0.
    case log
    /// Correctly rounded square root, NaN below 0 (−0 stays −0).
    case sqrt
    /// `x·x`.
    case square
    /// `|x|`.
    case abs
    /// TensorFlow's float tanh (`Activation.tanh`, bit-exact).
    case tanh
    /// TensorFlow's float sigmoid (`Activation.sigmoid`, bit-exact).
    case sigmoid
    /// `max(x, 0)`, NaN kept.
    case relu
    /// The error function, from the C library's `erff` (within an ulp or two of TensorFlow's float32 `Erf`).
    case erf
    /// `-x`.
    case negative

    /// `f(x[i])` for every element, in place.
    package func apply(_ x: inout [Float]) {
        switch self {
        case .exp: for i in x.indices { x[i] = Foundation.exp(x[i]) }
        case .log: for i in x.indices { x[i] = Foundation.log(x[i]) }
        case .sqrt: for i in x.indices { x[i] = x[i].squareRoot() }
        case .square: for i in x.indices { x[i] = x[i] * x[i] }
        case .abs: for i in x.indices { x[i] = Swift.abs(x[i]) }
        case .tanh: x.withUnsafeMutableBufferPointer { Activation.tanh.apply($0, rowLength: Swift.max($0.count, 1)) }
        case .sigmoid: x.withUnsafeMutableBufferPointer { Activation.sigmoid.apply($0, rowLength: Swift.max($0.count, 1)) }
        case .relu: x.withUnsafeMutableBufferPointer { Activation.plainReLU.apply($0, rowLength: Swift.max($0.count, 1)) }
        case .erf: for i in x.indices { x[i] = Foundation.erf(x[i]) }
        case .negative: for i in x.indices { x[i] = -x[i] }
        }
    }

    /// `tf.clip_by_value`: `maximum(minimum(x, high), low)` with NaN kept.
    package static func clip(_ x: inout [Float], low: Float, high: Float) {
        for i in x.indices { x[i] = Elementwise.maximum(Elementwise.minimum(x[i], high), low) }
    }
}
