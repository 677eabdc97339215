import KConvOps

/// Keras `ConvLSTM2D` and `ConvLSTM1D` (channels_last) at inference.
///
/// Layouts (row-major):
/// - ConvLSTM2D: input `(batch, time, rows, cols, channels)`; `kernel (kh, kw, channels, 4f)`,
///   `recurrent_kernel (kh, kw, f, 4f)`, `bias (4f)`; output `(batch, rows', cols', f)`, or
///   `(batch, time, rows', cols', f)` with `return_sequences`;
/// - ConvLSTM1D: input `(batch, time, steps, channels)`; `kernel (k, channels, 4f)`,
///   `recurrent_kernel (k, f, 4f)`, `bias (4f)`; output `(batch, steps', f)` or `(batch, time, steps', f)`.
/// The kernels' last axis holds the gates **i, f, c, o**, each `f` wide. With `return_state` the
/// outputs are `[output, h, c]`, the states shaped like one output step; initial states
/// `[x, h0, c0]` may be given as extra inputs.
///
/// Per step: `z = conv(x_t, K, strides, padding, dilation) + b + conv(h, U, stride 1, 'same')`, then
/// the LSTM equations elementwise at every position (`RecurrentCore.lstmCell`). The input
/// convolution of all steps runs as one im2col GEMM; the recurrent one once per step. `go_backwards`
/// and masks `(batch, time)` behave as for LSTM (`RecurrentLoop`). `recurrent_activation` defaults to
/// `hard_sigmoid` in Keras 1/2 (incl. tf.keras) and `sigmoid` in Keras 3 when a config omits it.
struct ConvLSTM: Layer {
    let name: String
    let className: String
    /// Spatial rank: 1 (ConvLSTM1D) or 2 (ConvLSTM2D).
    let rank: Int
    let filters: Int
    /// Row and column window axes (ConvLSTM1D: a unit row axis and the kernel's axis as columns).
    let rows: WindowAxis
    let cols: WindowAxis
    let padding: WindowPadding
    let activation: Activation
    let recurrentActivation: Activation
    let useBias: Bool
    let returnSequences: Bool
    let returnState: Bool
    let goBackwards: Bool
    let maskedOutput: MaskedStepOutput

    /// The weights as stored in the file, in Keras' order.
    private(set) var weights: [Weight] = []
    private var channels = 0
    /// `(kh, kw, channels, 4f)`.
    private var kernel: [Float] = []
    /// `(kh, kw, f, 4f)`.
    private var recurrentKernel: [Float] = []
    private var bias: [Float]?

    private static let unitAxis = WindowAxis(size: 1, stride: 1, dilation: 1)

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        rank = className == "ConvLSTM1D" ? 1 : 2
        let options = try ConvOptions(config: config, rank: rank)
        filters = options.filters
        if rank == 1 {
            rows = ConvLSTM.unitAxis
            cols = options.axes[0]
        } else {
            rows = options.axes[0]
            cols = options.axes[1]
        }
        padding = options.padding
        useBias = options.useBias
        activation = try config.activation("activation", default: "tanh")
        recurrentActivation = try config.activation("recurrent_activation",
                                                    default: config.version.major >= 3 ? "sigmoid" : "hard_sigmoid")
        returnSequences = try config.bool("return_sequences", default: false)
        returnState = try config.bool("return_state", default: false)
        goBackwards = try config.bool("go_backwards", default: false)
        if try config.bool("zero_output_for_mask", default: false) {
            maskedOutput = .zeros
        } else {
            maskedOutput = config.version.rnnMasksWithPreviousState ? .previousState : .previousOutput
        }
        if try config.bool("time_major", default: false) {
            throw config.unsupported("time_major=true is not supported")
        }
    }

    /// The kernel's spatial shape as stored: `[kh, kw]`, or `[k]` for ConvLSTM1D.
    private var kernelDims: [Int] { rank == 1 ? [cols.size] : [rows.size, cols.size] }

    /// Checks `[x]` or `[x, h0, c0]`; returns the input shape.
    private func checkInputs(_ shapes: [Shape]) throws -> Shape {
        guard let x = shapes.first, shapes.count == 1 || shapes.count == 3 else {
            throw KerasError(.shape, "layer '\(name)' expects 1 input, or 1 input and 2 initial states, got \(shapes.count) inputs")
        }
        guard x.count == rank + 3 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(rank + 3) (batch, time, \(rank == 1 ? "steps" : "rows, cols"), channels), got shape \(x.kerasDescription)")
        }
        return x
    }

    /// The spatial output sizes for spatial input sizes (`[rows, cols]`, or `[steps]`).
    private func spatialOutput(_ dims: [Int?]) throws -> [Int?] {
        if rank == 1 { return [try cols.outputLength(dims[0], padding: padding, layer: name)] }
        return [try rows.outputLength(dims[0], padding: padding, layer: name),
                try cols.outputLength(dims[1], padding: padding, layer: name)]
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let x = try checkInputs(inputShapes)
        let c = try ShapeCheck(layer: name).known(x[x.count - 1], "channels")
        _ = try spatialOutput(Array(x[2..<(2 + rank)]))
        let k = try reader.take("kernel", shape: kernelDims + [c, 4 * filters])
        let r = try reader.take("recurrent_kernel", shape: kernelDims + [filters, 4 * filters])
        let b = useBias ? try reader.take("bias", shape: [4 * filters]) : nil
        channels = c
        kernel = k.scalars
        recurrentKernel = r.scalars
        bias = b?.scalars
        weights = [Weight("kernel", k), Weight("recurrent_kernel", r)] + (b.map { [Weight("bias", $0)] } ?? [])
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        let x = try checkInputs(inputShapes)
        if let c = x[x.count - 1], c != channels {
            throw KerasError(.shape, "layer '\(name)' expects \(channels) channels, got \(x.kerasDescription)")
        }
        let step: Shape = [x[0]] + (try spatialOutput(Array(x[2..<(2 + rank)]))) + [filters]
        for s in inputShapes.dropFirst() where s.count != step.count {
            throw KerasError(.shape, "layer '\(name)': an initial state must have shape \(step.kerasDescription), got \(s.kerasDescription)")
        }
        let output: Shape = returnSequences ? [x[0], x[1]] + Array(step.dropFirst()) : step
        return returnState ? [output, step, step] : [output]
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try call(inputs, masks: []).outputs
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        guard let x = inputs.first, inputs.count == 1 || inputs.count == 3 else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, or 1 input and 2 initial states, got \(inputs.count)")
        }
        guard x.rank == rank + 3, x.shape[x.rank - 1] == channels else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(rank + 3) with \(channels) channels, got shape \(x.shape)")
        }
        let batch = x.shape[0], steps = x.shape[1]
        let height = rank == 1 ? 1 : x.shape[2], width = x.shape[rank == 1 ? 2 : 3]
        let f = filters, g = 4 * filters
        let inputPlan = try WindowPlan(batch: steps * batch, height: height, width: width, channels: channels,
                                       rows: rows, cols: cols, padding: padding, layer: name)
        let outH = inputPlan.outHeight, outW = inputPlan.outWidth, positions = outH * outW
        let recurrentPlan = try WindowPlan(batch: batch, height: outH, width: outW, channels: f,
                                           rows: WindowAxis(size: rows.size, stride: 1, dilation: 1),
                                           cols: WindowAxis(size: cols.size, stride: 1, dilation: 1),
                                           padding: .same, layer: name)
        let stepShape = [batch] + (rank == 1 ? [outW] : [outH, outW]) + [f]
        let width1 = positions * f
        let initial = try RecurrentLoop.initialStates(Array(inputs.dropFirst()), batch: batch, width: width1, layer: name)
        let mask = masks.first ?? nil
        let maskValues = try RecurrentLoop.maskValues(mask, batch: batch, steps: steps, layer: name)

        // Inputs in processing order, step-major: image (s·batch + b) is x[b, t(s)].
        let frame = height * width * channels
        var xs = [Float](repeating: 0, count: steps * batch * frame)
        for s in 0..<steps {
            let t = goBackwards ? steps - 1 - s : s
            for b in 0..<batch {
                let src = (b * steps + t) * frame, dst = (s * batch + b) * frame
                for p in 0..<frame { xs[dst + p] = x.scalars[src + p] }
            }
        }
        // The input convolution of every step at once: (steps·batch·positions, 4f).
        var z = ConvolutionKernel.convolve(xs, plan: inputPlan, kernel: kernel, filters: g, bias: bias)
        if z.isEmpty { z = [Float](repeating: 0, count: steps * batch * positions * g) }
        var rec = [Float](repeating: 0, count: batch * positions * g)
        let loop = RecurrentLoop(batch: batch, steps: steps, stateWidth: width1, stateCount: 2,
                                 returnSequences: returnSequences, goBackwards: goBackwards, maskedOutput: maskedOutput)
        let startsAtZero = initial == nil
        let a = activation, ra = recurrentActivation, rows = batch * positions
        let result = z.withUnsafeMutableBufferPointer { zp in
            rec.withUnsafeMutableBufferPointer { recp in
                recurrentKernel.withUnsafeBufferPointer { up in
                    loop.run(initialStates: initial, mask: maskValues) { s, state, next in
                        guard let zBase = zp.baseAddress, let recBase = recp.baseAddress, let uBase = up.baseAddress else { return }
                        let zs = zBase + s * rows * g
                        if !(startsAtZero && s == 0) {
                            // conv(h, U, stride 1, 'same') over h (batch, outH, outW, f).
                            ConvolutionKernel.run(state, plan: recurrentPlan, kernel: uBase, filters: g, bias: nil, output: recBase)
                            for i in 0..<rows * g { zs[i] += recBase[i] }
                        }
                        RecurrentCore.lstmCell(z: zs, rows: rows, units: f, state: state, next: next, a: a, ra: ra)
                    }
                }
            }
        }
        let output = returnSequences
            ? Tensor(uncheckedShape: [batch, steps] + stepShape.dropFirst(), scalars: result.output)
            : Tensor(uncheckedShape: stepShape, scalars: result.output)
        let outputMask = returnSequences ? mask : nil
        guard returnState else { return ([output], [outputMask]) }
        let states = result.states.map { Tensor(uncheckedShape: stepShape, scalars: $0) }
        return ([output] + states, [outputMask, nil, nil])
    }
}
