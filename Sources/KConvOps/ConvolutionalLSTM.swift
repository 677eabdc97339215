/// An LSTM whose products are convolutions over NHWC frames, run whole: the input convolution of
/// every step as one im2col product, then per step `z += conv(h, U)` and the LSTM cell at every
/// position (`RecurrentCell.lstmStep`), inside the time loop of `Recurrence`.
///
/// Layouts (row-major): `kernel (kh, kw, channels, 4f)`, `recurrentKernel (kh', kw', f, 4f)`,
/// `bias (4f)`, the last axis holding the gates i, f, c, o, each `f` wide. The states `h` and `c`
/// are `(batch, outHeight, outWidth, f)` each. The kernels are packed once, when the layer is built.
package struct ConvolutionalLSTM: Sendable {
    package let filters: Int
    package let activation: Activation
    package let recurrentActivation: Activation
    /// The kernels packed once, as `(kh·kw·channels, 4f)` and `(kh'·kw'·f, 4f)` matrices.
    private let kernel: PackedMatrix
    private let recurrentKernel: PackedMatrix
    private let bias: [Float]?

    package init(filters: Int, activation: Activation, recurrentActivation: Activation,
                 kernel: [Float], recurrentKernel: [Float], bias: [Float]?) {
        (self.filters, self.activation, self.recurrentActivation) = (filters, activation, recurrentActivation)
        self.bias = bias
        let g = 4 * filters
        self.kernel = PackedMatrix(kernel, rows: g == 0 ? 0 : kernel.count / g, columns: g)
        self.recurrentKernel = PackedMatrix(recurrentKernel, rows: g == 0 ? 0 : recurrentKernel.count / g, columns: g)
    }

    /// Runs `recurrence` over `x (batch, steps, height, width, channels)`. `inputPlan` is the input
    /// convolution's geometry over the `steps·batch` frames; `recurrentPlan` the recurrent one's over
    /// `h (batch, outHeight, outWidth, f)` (same output size). Initial states are zeros when nil (then
    /// the first step skips the recurrent convolution of a zero `h`).
    package func run(_ x: [Float], inputPlan: WindowPlan, recurrentPlan: WindowPlan, recurrence: Recurrence,
                     initialStates: [[Float]]?, mask: [Float]?) -> (output: [Float], states: [[Float]])
    {
        let g = 4 * filters, positions = inputPlan.outHeight * inputPlan.outWidth
        let rows = recurrence.batch * positions
        let frames = recurrence.stepMajor(x, frame: inputPlan.height * inputPlan.width * inputPlan.channels)
        var z = ConvolutionKernel.convolve(frames, plan: inputPlan, kernel: kernel, bias: bias)
        if z.isEmpty { z = [Float](repeating: 0, count: recurrence.steps * rows * g) }
        let rec = PinnedFloats(zeros: rows * g)
        let startsAtZero = initialStates == nil
        let a = activation, ra = recurrentActivation, f = filters
        return z.withUnsafeMutableBufferPointer { zp in
            recurrence.run(initialStates: initialStates, mask: mask) { s, state, next in
                guard let zBase = zp.baseAddress else { return }
                let zs = zBase + s * rows * g
                if !(startsAtZero && s == 0) {
                    ConvolutionKernel.run(state, plan: recurrentPlan, kernel: recurrentKernel, bias: nil, output: rec.pointer)
                    for i in 0..<rows * g { zs[i] += rec.pointer[i] }
                }
                RecurrentCell.lstmStep(z: zs, rows: rows, units: f, state: state, next: next, a: a, ra: ra)
            }
        }
    }
}
