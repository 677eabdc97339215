/// An LSTM whose products are convolutions over NHWC frames, run whole: the input convolution of
/// every step as one im2col product, then per step `z += conv(h, U)` and the LSTM cell at every
/// position (`RecurrentCell.lstmStep`), inside the time loop of `Recurrence`.
///
/// Layouts (row-major): `kernel (kh, kw, channels, 4f)`, `recurrentKernel (kh', kw', f, 4f)`,
/// `bias (4f)`, the last axis holding the gates i, f, c, o, each `f` wide. The states `h` and `c`
/// are `(batch, outHeight, outWidth, f)` each. The weights are held once; the recurrent kernel at a
/// fixed address for the step loop.
package struct ConvolutionalLSTM: Sendable {
    package let filters: Int
    package let activation: Activation
    package let recurrentActivation: Activation
    private let kernel: [Float]
    private let recurrentKernel: PinnedFloats
    private let bias: [Float]?

    package init(filters: Int, activation: Activation, recurrentActivation: Activation,
                 kernel: [Float], recurrentKernel: [Float], bias: [Float]?) {
        (self.filters, self.activation, self.recurrentActivation) = (filters, activation, recurrentActivation)
        (self.kernel, self.bias) = (kernel, bias)
        self.recurrentKernel = PinnedFloats(recurrentKernel)
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
        var z = ConvolutionKernel.convolve(frames, plan: inputPlan, kernel: kernel, filters: g, bias: bias)
        if z.isEmpty { z = [Float](repeating: 0, count: recurrence.steps * rows * g) }
        let rec = PinnedFloats(zeros: rows * g)
        let startsAtZero = initialStates == nil
        let a = activation, ra = recurrentActivation, f = filters, u = UnsafePointer(recurrentKernel.pointer)
        return z.withUnsafeMutableBufferPointer { zp in
            recurrence.run(initialStates: initialStates, mask: mask) { s, state, next in
                guard let zBase = zp.baseAddress else { return }
                let zs = zBase + s * rows * g
                if !(startsAtZero && s == 0) {
                    ConvolutionKernel.run(state, plan: recurrentPlan, kernel: u, filters: g, bias: nil, output: rec.pointer)
                    for i in 0..<rows * g { zs[i] += rec.pointer[i] }
                }
                RecurrentCell.lstmStep(z: zs, rows: rows, units: f, state: state, next: next, a: a, ra: ra)
            }
        }
    }
}
