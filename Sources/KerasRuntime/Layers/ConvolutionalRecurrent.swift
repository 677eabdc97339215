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
/// the LSTM equations elementwise at every position. The input convolution of all steps runs as one
/// im2col GEMM, the recurrent one once per step (`ConvolutionalLSTM` in KConvOps). The options shared
/// with LSTM (`return_sequences`, `return_state`, `go_backwards`, masks `(batch, time)`, `stateful`
/// ...) are `RecurrentOptions`. `recurrent_activation` defaults to `hard_sigmoid` in Keras 1/2 (incl.
/// tf.keras) and `sigmoid` in Keras 3 when a config omits it.
struct ConvLSTM: Layer {
    let name: String
    let className: String
    /// Spatial rank: 1 (ConvLSTM1D) or 2 (ConvLSTM2D).
    let rank: Int
    /// `filters`, kernel axes, strides, dilations, `padding`, `use_bias`.
    let conv: ConvOptions
    private(set) var options: RecurrentOptions

    /// The weights as stored in the file, in Keras' order.
    private(set) var weights: [Weight] = []
    private var channels = 0
    /// The weights ready to run (set by `build`).
    private var lstm: ConvolutionalLSTM?

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        rank = className == "ConvLSTM1D" ? 1 : 2
        conv = try ConvOptions(config: config, rank: rank)
        let recurrentDefault = config.version.major >= 3 ? "sigmoid" : "hard_sigmoid"
        options = try RecurrentOptions(config: config, activations: .gated(recurrentDefault: recurrentDefault))
    }

    private var filters: Int { conv.filters }
    /// Row and column window axes (ConvLSTM1D: a unit row axis and the kernel's axis as columns).
    private var rows: WindowAxis { rank == 1 ? WindowAxis(size: 1, stride: 1, dilation: 1) : conv.axes[0] }
    private var cols: WindowAxis { conv.axes[rank - 1] }
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
        if rank == 1 { return [try cols.outputLength(dims[0], padding: conv.padding, layer: name)] }
        return [try rows.outputLength(dims[0], padding: conv.padding, layer: name),
                try cols.outputLength(dims[1], padding: conv.padding, layer: name)]
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let x = try checkInputs(inputShapes)
        let c = try ShapeCheck(layer: name).known(x[x.count - 1], "channels")
        _ = try spatialOutput(Array(x[2..<(2 + rank)]))
        let k = try reader.take("kernel", shape: kernelDims + [c, 4 * filters])
        let r = try reader.take("recurrent_kernel", shape: kernelDims + [filters, 4 * filters])
        let b = conv.useBias ? try reader.take("bias", shape: [4 * filters]) : nil
        channels = c
        weights = Weight.recurrent(k, r, b)
        lstm = ConvolutionalLSTM(filters: filters, activation: options.activation,
                                 recurrentActivation: options.recurrentActivation,
                                 kernel: k.scalars, recurrentKernel: r.scalars, bias: b?.scalars)
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
        return options.outputShapes(input: x, step: step, stateCount: 2)
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try call(inputs, masks: []).outputs
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        guard let x = inputs.first, inputs.count == 1 || inputs.count == 3 else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, or 1 input and 2 initial states, got \(inputs.count)")
        }
        guard let lstm, x.rank == rank + 3, x.shape[x.rank - 1] == channels else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(rank + 3) with \(channels) channels, got shape \(x.shape)")
        }
        let batch = x.shape[0], steps = x.shape[1]
        let height = rank == 1 ? 1 : x.shape[2], width = x.shape[rank == 1 ? 2 : 3]
        let inputPlan = try WindowPlan(batch: steps * batch, height: height, width: width, channels: channels,
                                       rows: rows, cols: cols, padding: conv.padding, layer: name)
        let outH = inputPlan.outHeight, outW = inputPlan.outWidth
        // conv(h, U, stride 1, 'same') over h (batch, outH, outW, f).
        let recurrentPlan = try WindowPlan(batch: batch, height: outH, width: outW, channels: filters,
                                           rows: WindowAxis(size: rows.size, stride: 1, dilation: 1),
                                           cols: WindowAxis(size: cols.size, stride: 1, dilation: 1),
                                           padding: .same, layer: name)
        let stepShape = [batch] + (rank == 1 ? [outW] : [outH, outW]) + [filters]
        let stateWidth = outH * outW * filters
        let initial = try RecurrentOptions.initialStates(Array(inputs.dropFirst()), batch: batch, width: stateWidth, layer: name)
        let mask = masks.first ?? nil
        let maskValues = try RecurrentOptions.maskValues(mask, batch: batch, steps: steps, layer: name)
        let loop = options.recurrence(batch: batch, steps: steps, stateWidth: stateWidth, stateCount: 2)
        let result = lstm.run(x.scalars, inputPlan: inputPlan, recurrentPlan: recurrentPlan, recurrence: loop,
                              initialStates: initial, mask: maskValues)
        let r = options.outputs(result, steps: steps, stepShape: stepShape, mask: mask)
        return (r.outputs, r.masks)
    }
}
