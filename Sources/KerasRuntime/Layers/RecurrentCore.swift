import KConvOps

/// A recurrent layer over `(batch, time, features)` whose name, options, weights and forward pass
/// live in `core` (LSTM, GRU, SimpleRNN and their CuDNN and RNN(cell) forms).
///
/// Inputs: `[x]` or `[x, initial states...]` (Keras 2 lists `initial_state` tensors as extra inputs of
/// the call; Keras 3 as `kwargs.initial_state`, which the importer appends the same way).
protocol RecurrentLayer: Layer {
    var core: RecurrentCore { get set }
}

extension RecurrentLayer {
    var name: String { core.name }
    var className: String { core.className }
    var weights: [Weight] { core.weights }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        try core.outputShapes(for: inputShapes)
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try core.forward(inputs, mask: nil).outputs
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        let r = try core.forward(inputs, mask: masks.first ?? nil)
        return (r.outputs, r.masks)
    }

    /// A call that starts from `states` (when the call has no initial-state inputs of its own) and
    /// also returns the final states, for streaming (`LayerGraph.predict(_:carrying:)`).
    func call(_ inputs: [Tensor], masks: [Tensor?], carrying states: [Tensor]?) throws
        -> (outputs: [Tensor], masks: [Tensor?], states: [Tensor])
    {
        guard !core.options.goBackwards else {
            throw KerasError(.unsupported, "layer '\(name)' reads its sequence backwards (go_backwards), so it cannot be streamed chunk by chunk")
        }
        return try core.forward(inputs.count == 1 ? inputs + (states ?? []) : inputs, mask: masks.first ?? nil)
    }
}

/// The name, options, weights and forward pass of a recurrent layer (LSTM, GRU, SimpleRNN).
///
/// - Input `(batch, time, features)`; `[x, h0(, c0)]` when initial states are given, each `(batch, u)`.
/// - The options shared by every recurrent layer (sequences, states, `go_backwards`, masks,
///   `stateful`, ignored options): see `RecurrentOptions`. CuDNN layers refuse masks, as Keras does.
/// - The time loop and the cells run in KConvOps (`DenseRecurrence`).
struct RecurrentCore: Sendable {
    /// The layer's name and Keras class name.
    let name: String, className: String
    /// The cell computed at each step, `units` wide.
    let cell: RecurrentCell
    let units: Int
    var options: RecurrentOptions
    /// Whether the layer has biases (CuDNN layers always do).
    let useBias: Bool
    /// CuDNN layers: cuDNN's weight layout, no activation options, no masks.
    let isCuDNN: Bool

    /// The weights as stored in the file, in Keras' order, without `kernel` when the recurrence holds
    /// it in Keras' layout: then `weights` reads it back from the recurrence, so the kernel is held
    /// once (A's LSTM: 5.3 MB less).
    private var storedWeights: [Weight] = []
    private var kernelInRecurrence = false
    /// The weights in the plain layout, ready to run (set by `setWeights`).
    private var recurrence: DenseRecurrence?

    var stateCount: Int { cell.stateCount }
    /// Input feature count (0 until the weights are set).
    var inputDim: Int { recurrence?.inputDim ?? 0 }
    /// The columns of the kernels: `gates · units`.
    var gateWidth: Int { cell.gates * units }

    /// Reads the options of a recurrent layer; CuDNN layers use tanh/sigmoid and always a bias.
    init(config: LayerConfig, cell: RecurrentCell, cudnn: Bool) throws {
        name = config.name
        className = config.className
        self.cell = cell
        units = try config.int("units")
        guard units > 0 else { throw config.unsupported("units must be positive, got \(units)") }
        let activations: RecurrentOptions.Activations = cudnn ? .fixed
            : cell == .simple ? .single : .gated(recurrentDefault: config.version.defaultRecurrentActivation)
        options = try RecurrentOptions(config: config, activations: activations)
        useBias = cudnn ? true : try config.bool("use_bias", default: true)
        isCuDNN = cudnn
    }

    /// Checks the input shapes and takes `kernel (features, G)` (as a reader of its rows: a large one
    /// may still be in its file) and `recurrent_kernel (u, G)` from `reader`.
    func takeKernels(_ inputShapes: [Shape], from reader: inout WeightReader) throws
        -> (features: Int, kernel: WeightRows, recurrent: Tensor)
    {
        let features = try checkInputs(inputShapes)
        let k = try reader.takeRows("kernel", shape: [features, gateWidth])
        let r = try reader.take("recurrent_kernel", shape: [units, gateWidth])
        return (features, k, r)
    }

    /// Sets the weights of a CuDNN layer: `stored` as the file holds them, the others in the plain
    /// layout — `kernel (in, G)`, `recurrent (u, G)`, biases `(G)`.
    mutating func setWeights(stored: [Weight], inputDim: Int, kernel: [Float], recurrent: [Float],
                             bias: [Float]?, recurrentBias: [Float]? = nil) {
        recurrence = DenseRecurrence(cell: cell, inputDim: inputDim, units: units, activation: options.activation,
                                     recurrentActivation: options.recurrentActivation, kernel: kernel,
                                     recurrentKernel: recurrent, bias: bias, recurrentBias: recurrentBias)
        kernelInRecurrence = false
        storedWeights = stored
    }

    /// Sets the weights stored in the plain layout: the input `kernel (in, G)`, then `afterKernel` as
    /// the file holds them (`recurrent_kernel (u, G)`, biases) and their values `recurrent`, `bias`,
    /// `recurrentBias` `(G)`. A kernel still in its file that the recurrence keeps in Keras' layout is
    /// packed a block of rows at a time as it is read, never held whole; any other is taken whole once.
    mutating func setWeights(kernel: WeightRows, afterKernel: [Weight], inputDim: Int, recurrent: [Float],
                             bias: [Float]?, recurrentBias: [Float]? = nil) throws {
        let (a, ra) = (options.activation, options.recurrentActivation)
        if let readRows = kernel.rowsInFile,
           DenseRecurrence.holdsKernelInKerasLayout(cell: cell, inputDim: inputDim, units: units, activation: a, recurrentActivation: ra) {
            recurrence = try DenseRecurrence(cell: cell, inputDim: inputDim, units: units, activation: a, recurrentActivation: ra,
                                             kernelRows: readRows, recurrentKernel: recurrent, bias: bias,
                                             recurrentBias: recurrentBias)
            kernelInRecurrence = true
            storedWeights = afterKernel
            return
        }
        let k = try kernel.tensor()
        let recurrence = DenseRecurrence(cell: cell, inputDim: inputDim, units: units, activation: a, recurrentActivation: ra,
                                         kernel: k.scalars, recurrentKernel: recurrent, bias: bias, recurrentBias: recurrentBias)
        self.recurrence = recurrence
        kernelInRecurrence = recurrence.holdsKernelInKerasLayout
        storedWeights = kernelInRecurrence ? afterKernel : [Weight("kernel", k)] + afterKernel
    }

    /// The weights as the file holds them, in Keras' order.
    var weights: [Weight] {
        guard kernelInRecurrence, let recurrence else { return storedWeights }
        let kernel = Tensor(uncheckedShape: [inputDim, gateWidth], scalars: recurrence.kernelInKerasLayout())
        return [Weight("kernel", kernel)] + storedWeights
    }

    /// Checks the input shapes (`[x]` or `[x, states...]`) and returns the feature count.
    func checkInputs(_ shapes: [Shape]) throws -> Int {
        guard let x = shapes.first, shapes.count == 1 || shapes.count == 1 + stateCount else {
            throw KerasError(.shape, "layer '\(name)' expects 1 input, or 1 input and \(stateCount) initial state(s), got \(shapes.count) inputs")
        }
        guard x.count == 3 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank 3 (batch, time, features), got shape \(x.kerasDescription)")
        }
        for s in shapes.dropFirst() {
            guard s.count == 2, s[1] == nil || s[1] == units else {
                throw KerasError(.shape, "layer '\(name)': an initial state must have shape (batch, \(units)), got \(s.kerasDescription)")
            }
        }
        return try ShapeCheck(layer: name).known(x[2], "feature")
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        let features = try checkInputs(inputShapes)
        if features != inputDim {
            throw KerasError(.shape, "layer '\(name)' expects \(inputDim) features, got \(inputShapes[0].kerasDescription)")
        }
        let x = inputShapes[0]
        return options.outputShapes(input: x, step: [x[0], units], stateCount: stateCount)
    }

    /// The forward pass: `[output(, states...)]`, their masks, and the final states whatever
    /// `return_state` says.
    func forward(_ inputs: [Tensor], mask: Tensor?) throws -> (outputs: [Tensor], masks: [Tensor?], states: [Tensor]) {
        guard let x = inputs.first, inputs.count == 1 || inputs.count == 1 + stateCount else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, or 1 input and \(stateCount) initial state(s), got \(inputs.count)")
        }
        guard let recurrence, x.rank == 3, x.shape[2] == inputDim else {
            throw KerasError(.shape, "layer '\(name)' expects an input (batch, time, \(inputDim)), got shape \(x.shape)")
        }
        let batch = x.shape[0], steps = x.shape[1], u = units
        let initial = try RecurrentOptions.initialStates(Array(inputs.dropFirst()), batch: batch, width: u, layer: name)
        if mask != nil, isCuDNN {
            throw KerasError(.unsupported, "layer '\(name)': CuDNN recurrent layers do not support masking (Keras rejects it too); remove the Masking/mask_zero before it")
        }
        let maskValues = try RecurrentOptions.maskValues(mask, batch: batch, steps: steps, layer: name)
        let loop = options.recurrence(batch: batch, steps: steps, stateWidth: u, stateCount: stateCount)
        let result = recurrence.run(x.scalars, recurrence: loop, initialStates: initial, mask: maskValues)
        return options.outputs(result, steps: steps, stepShape: [batch, u], mask: mask)
    }
}
