import CKernels
import Foundation

/// An elementwise activation function with TensorFlow's float32 arithmetic, applied in place.
package enum Activation: Sendable, Equatable {
    case linear
    /// `relu`, with an optional `maxValue` cap, a `negativeSlope` below `threshold`, and `threshold`.
    case relu(maxValue: Float?, negativeSlope: Float, threshold: Float)
    case tanh
    case sigmoid
    /// `clip(scale·x + 0.5, 0, 1)`.
    case hardSigmoid(scale: Float)
    /// Softmax over each row.
    case softmax
    case elu(alpha: Float)
    case selu
    case softplus
    case softsign
    /// `x * sigmoid(x)`.
    case swish
    /// Exact `0.5x(1 + erf(x/√2))`, or the tanh approximation.
    case gelu(approximate: Bool)
    case exponential

    package static let plainReLU = Activation.relu(maxValue: nil, negativeSlope: 0, threshold: 0)

    /// Applies the activation in place to rows of `rowLength` elements (softmax normalises each row).
    package func apply(_ x: UnsafeMutableBufferPointer<Float>, rowLength: Int) {
        let n = x.count
        switch self {
        case .linear:
            return
        case .relu(let maxValue, let slope, let threshold):
            if maxValue == nil, slope == 0, threshold == 0 {
                // Branch-free (vectorised): x ≤ 0 becomes 0, NaN and x > 0 stay.
                for i in 0..<n {
                    let v = x[i]
                    x[i] = v <= 0 ? 0 : v
                }
                return
            }
            // The general relu step by step: keep x where x > threshold (else 0; a plain relu when
            // threshold is 0), clip to [0, max_value], then subtract slope·relu(threshold - x).
            for i in 0..<n {
                let v = x[i]
                if slope != 0, maxValue == nil, threshold == 0 {
                    x[i] = v > 0 ? v : v * slope   // tf.nn.leaky_relu
                    continue
                }
                var y = threshold != 0 ? (v > threshold ? v : v * 0) : (v > 0 || v.isNaN ? v : 0)
                if let maxValue, !y.isNaN { y = min(max(y, 0), maxValue) }
                if slope != 0 { y -= slope * max(threshold - v, 0) }
                x[i] = y
            }
        case .tanh:
            if Activation.avx2, let p = x.baseAddress { kconv_tanh_avx2(p, n); return }
            for i in 0..<n { x[i] = Activation.tanh(x[i]) }
        case .sigmoid:
            if Activation.avx2, let p = x.baseAddress { kconv_sigmoid_avx2(p, n); return }
            for i in 0..<n { x[i] = Activation.sigmoid(x[i]) }
        case .hardSigmoid(let scale):
            let shift: Float = 0.5
            for i in 0..<n {
                let y = x[i] * scale + shift
                x[i] = y.isNaN ? y : min(max(y, 0), 1)
            }
        case .softmax:
            Softmax.rows(x, length: rowLength)
        case .elu(let alpha):
            for i in 0..<n where x[i] <= 0 { x[i] = alpha * expm1(x[i]) }
        case .selu:
            let alpha: Float = 1.6732632423543772848170429916717
            let scale: Float = 1.0507009873554804934193349852946
            for i in 0..<n { x[i] = x[i] > 0 ? scale * x[i] : scale * alpha * expm1(x[i]) }
        case .softplus:
            for i in 0..<n { x[i] = Activation.softplus(x[i]) }
        case .softsign:
            for i in 0..<n { x[i] = x[i] / (1 + abs(x[i])) }
        case .swish:
            for i in 0..<n { x[i] = x[i] * Activation.sigmoid(x[i]) }
        case .gelu(let approximate):
            if approximate {
                let c = Float((2 / Double.pi).squareRoot())
                for i in 0..<n {
                    let v = x[i]
                    x[i] = 0.5 * v * (1 + Activation.tanh(c * (v + 0.044715 * v * v * v)))
                }
            } else {
                for i in 0..<n { x[i] = 0.5 * x[i] * (1 + erf(x[i] / Float(2).squareRoot())) }
            }
        case .exponential:
            for i in 0..<n { x[i] = exp(x[i]) }
        }
    }

    /// Whether tanh and sigmoid run eight at a time in CKernels' AVX2 code (the same operations,
    /// so the same results as the scalar functions below).
    package static let avx2 = kconv_cpu_has_avx2_fma() != 0

    /// TensorFlow's float `tanh` (Eigen's `ptanh_float`, built without FMA as TensorFlow's pip
    /// wheels are): the input clamped to ±7.90738964, then a [9/8] odd/even rational function,
    /// multiplies and adds rounded separately. Equal to `tf.tanh` bit for bit (checked on 2.1M
    /// TensorFlow-computed inputs in the test suite), a few ULP from the exact tanh.
    @inline(__always) package static func tanh(_ a: Float) -> Float {
        let c: Float = 7.90738964080810547
        let x = Swift.max(Swift.min(a, c), -c)  // NaN stays NaN
        let x2 = x * x
        var p: Float = 1.394553628e-8
        p = p * x2 + 2.102733560e-5
        p = p * x2 + 3.520756727e-3
        p = p * x2 + 1.340216100e-1
        var q: Float = 8.015776984e-7
        q = q * x2 + 3.326951409e-4
        q = q * x2 + 2.597254514e-2
        q = q * x2 + 4.673548340e-1
        q = q * x2 + 1
        return (x2 * x * p + x) / q
    }

    /// TensorFlow's float sigmoid (Eigen's `scalar_logistic_op<float>` packet path): `e / (1 + e)`
    /// with `e = exp(x/2)²`, `exp` by Cephes range reduction and a degree-5 polynomial, 0 below −104,
    /// denormal results flushed to zero as TensorFlow's threads do. Equal to `tf.sigmoid` bit for bit.
    @inline(__always) package static func sigmoid(_ x0: Float) -> Float {
        if x0.isNaN { return x0 }
        if x0 < -104 { return 0 }
        let x = Swift.min(x0, 16.6355324) * 0.5
        let m = (x * 1.44269504088896341 + 0.5).rounded(.down)
        var r = m * -0.693359375 + x
        r = m * 2.12194440e-4 + r
        let r2 = r * r
        let even = r2 * 4.1898667812347412109375e-2 + 0.49999141693115234375
        let odd = r2 * 8.33471305668354034423828125e-3 + 0.16666877269744873046875
        let p = r2 * (r * odd + even) + (r + 1)
        let e = p * Float(bitPattern: UInt32(Int32(m) + 127) << 23)  // m in [-75, 12]: a normal 2^m
        let e2 = e * e
        if e2 < Float.leastNormalMagnitude { return 0 }
        let y = e2 / (1 + e2)
        return y < Float.leastNormalMagnitude ? 0 : y
    }

    /// TensorFlow's softplus: `log1p(exp(x))`, with its cut-offs where float32 makes the result `x` or `exp(x)`.
    @inline(__always) package static func softplus(_ x: Float) -> Float {
        let threshold = log(Float.ulpOfOne) + 2
        if x > -threshold { return x }
        if x < threshold { return exp(x) }
        return log1p(exp(x))
    }
}
