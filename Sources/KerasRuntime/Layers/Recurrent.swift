import KConvOps

// Keras recurrent layers at inference: LSTM, GRU, SimpleRNN and their CuDNN variants.
//
// Every layer here is options + weights around `RecurrentCore`, which runs the time loop of
// `RecurrentLoop` (shared with ConvLSTM): the input projection of all steps as one GEMM, one
// recurrent GEMM per step, Keras' masking per sample and per step, `go_backwards`, initial states.

/// Keras `LSTM` and `CuDNNLSTM` at inference.
///
/// Layouts (all row-major):
/// - input `(batch, time, features)` (NLC); optional initial states `h0, c0` `(batch, u)` as extra inputs;
/// - `kernel (features, 4u)`, `recurrent_kernel (u, 4u)`, `bias (4u)` when `use_bias`; the column
///   blocks of each are the gates in Keras' order **i, f, c, o**, each `u` wide;
/// - outputs: `(batch, u)`, or `(batch, time, u)` with `return_sequences`; with `return_state` the
///   outputs are `[output, h, c]`, the states `(batch, u)` each.
///
/// Per step, with `a` = `activation` and `ra` = `recurrent_activation`:
/// `z = x_t·W + h·U + b`; `i = ra(z_i)`, `f = ra(z_f)`, `c~ = a(z_c)`, `o = ra(z_o)`;
/// `c = f*c + i*c~`; `h = o*a(c)`. The initial state is zeros unless given as inputs.
///
/// `go_backwards`, masks, `stateful` and the ignored options: see `RecurrentCore`.
///
/// `CuDNNLSTM` has no activation options (the math is LSTM with `sigmoid`/`tanh`) and stores
/// `kernel (features, 4u)`, `recurrent_kernel (u, 4u)`, `bias (8u)` (4u input biases then 4u
/// recurrent biases) in cuDNN's layout. `weights` keeps those stored tensors (so parameter counts
/// match Keras' summary); `build` converts them to the LSTM layout exactly as Keras'
/// `_convert_rnn_weights` does (see `convertCuDNN`). Keras rejects masks for CuDNN layers; so does this.
struct LSTM: RecurrentLayer {
    let name: String
    let className: String
    var core: RecurrentCore

    var isCuDNN: Bool { className == "CuDNNLSTM" }

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        let cudnn = className == "CuDNNLSTM"
        core = try RecurrentCore(config: config, cell: .lstm, cudnn: cudnn)
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let features = try core.checkInputs(inputShapes, layer: name)
        let u = core.units, g = 4 * u
        let k = try reader.take("kernel", shape: [features, g])
        let r = try reader.take("recurrent_kernel", shape: [u, g])
        if isCuDNN {
            let b = try reader.take("bias", shape: [2 * g])
            let converted = LSTM.convertCuDNN(kernel: k.scalars, recurrent: r.scalars, bias: b.scalars,
                                              inputDim: features, units: u)
            core.setWeights(stored: [Weight("kernel", k), Weight("recurrent_kernel", r), Weight("bias", b)],
                            inputDim: features, kernel: converted.kernel, recurrent: converted.recurrent,
                            bias: converted.bias)
        } else {
            let b = core.useBias ? try reader.take("bias", shape: [g]) : nil
            core.setWeights(stored: [Weight("kernel", k), Weight("recurrent_kernel", r)] + (b.map { [Weight("bias", $0)] } ?? []),
                            inputDim: features, kernel: k.scalars, recurrent: r.scalars, bias: b?.scalars)
        }
    }

    /// Converts CuDNNLSTM weights to the LSTM layout, as Keras' `_convert_rnn_weights` (from cuDNN).
    ///
    /// Per gate block `G` (columns `q·u ..< (q+1)·u`):
    /// - input kernel `(in, u)`: `G' = G.T.reshape(G.shape, order='F')`, i.e. `G'[i][j] = flatC(G)[j·in + i]`;
    /// - recurrent kernel `(u, u)`: `G' = G.T`;
    /// - bias: `b[:4u] + b[4u:]`.
    static func convertCuDNN(kernel: [Float], recurrent: [Float], bias: [Float], inputDim n: Int, units u: Int)
        -> (kernel: [Float], recurrent: [Float], bias: [Float])
    {
        let g = 4 * u
        let (k, r) = convertCuDNNKernels(kernel: kernel, recurrent: recurrent, inputDim: n, units: u, gates: 4)
        var b = [Float](repeating: 0, count: g)
        for j in 0..<g { b[j] = bias[j] + bias[g + j] }
        return (k, r, b)
    }

    /// The per-gate kernel transforms of `_convert_rnn_weights` (from cuDNN), for `gates` blocks of `u` columns:
    /// input kernel `G'[i][j] = flatC(G)[j·in + i]`, recurrent kernel `G' = G.T`.
    static func convertCuDNNKernels(kernel: [Float], recurrent: [Float], inputDim n: Int, units u: Int, gates: Int)
        -> (kernel: [Float], recurrent: [Float])
    {
        let g = gates * u
        var k = [Float](repeating: 0, count: n * g)
        var r = [Float](repeating: 0, count: u * g)
        for q in 0..<gates {
            let col = q * u
            for i in 0..<n {
                for j in 0..<u {
                    // flatC(G)[f] with f = j·in + i is G[f / u][f % u].
                    let f = j * n + i
                    k[i * g + col + j] = kernel[(f / u) * g + col + f % u]
                }
            }
            for i in 0..<u {
                for j in 0..<u {
                    r[i * g + col + j] = recurrent[j * g + col + i]
                }
            }
        }
        return (k, r)
    }
}

/// Keras `GRU` (both `reset_after` modes) and `CuDNNGRU` at inference.
///
/// Layouts: input `(batch, time, features)`, optional initial state `h0 (batch, u)` as an extra input;
/// `kernel (features, 3u)`, `recurrent_kernel (u, 3u)`, column blocks **z (update), r (reset), h (candidate)**;
/// `bias (3u)` with `reset_after=false`, `bias (2, 3u)` with `reset_after=true` (row 0 input bias,
/// row 1 recurrent bias). Outputs as LSTM, with the single state `h`: `[output, h]` with `return_state`.
///
/// ```
/// reset_after=false:  z = ra(x·W_z + b_z + h·U_z);  r = ra(x·W_r + b_r + h·U_r)
///                     hh = a(x·W_h + b_h + (r*h)·U_h)
/// reset_after=true:   z = ra(x·W_z + bi_z + h·U_z + br_z);  r = ra(x·W_r + bi_r + h·U_r + br_r)
///                     hh = a(x·W_h + bi_h + r*(h·U_h + br_h))
/// h = z*h + (1-z)*hh
/// ```
/// `reset_after` defaults per Keras version when a config omits it (`KerasVersion.defaultGRUResetAfter`).
///
/// `CuDNNGRU` is GRU `reset_after=true` with `sigmoid`/`tanh`; it stores `bias (6u)` (input z,r,h then
/// recurrent z,r,h) and kernels in cuDNN's layout, converted as `_convert_rnn_weights` does (kernels as
/// for CuDNNLSTM, bias reshaped to `(2, 3u)`); `weights` keeps the stored tensors.
struct GRU: RecurrentLayer {
    let name: String
    let className: String
    var core: RecurrentCore

    var isCuDNN: Bool { className == "CuDNNGRU" }

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        if className == "CuDNNGRU" {
            core = try RecurrentCore(config: config, cell: .gru(resetAfter: true), cudnn: true)
        } else {
            let resetAfter = try config.bool("reset_after", default: config.version.defaultGRUResetAfter)
            core = try RecurrentCore(config: config, cell: .gru(resetAfter: resetAfter), cudnn: false)
        }
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let features = try core.checkInputs(inputShapes, layer: name)
        let u = core.units, g = 3 * u
        let k = try reader.take("kernel", shape: [features, g])
        let r = try reader.take("recurrent_kernel", shape: [u, g])
        var stored = [Weight("kernel", k), Weight("recurrent_kernel", r)]
        if isCuDNN {
            let b = try reader.take("bias", shape: [2 * g])
            stored.append(Weight("bias", b))
            let (ck, cr) = LSTM.convertCuDNNKernels(kernel: k.scalars, recurrent: r.scalars, inputDim: features,
                                                    units: u, gates: 3)
            core.setWeights(stored: stored, inputDim: features, kernel: ck, recurrent: cr,
                            bias: Array(b.scalars[0..<g]), recurrentBias: Array(b.scalars[g..<2 * g]))
            return
        }
        guard core.useBias else {
            core.setWeights(stored: stored, inputDim: features, kernel: k.scalars, recurrent: r.scalars, bias: nil)
            return
        }
        if case .gru(resetAfter: true) = core.cell {
            let b = try reader.take("bias", shape: [2, g])
            stored.append(Weight("bias", b))
            core.setWeights(stored: stored, inputDim: features, kernel: k.scalars, recurrent: r.scalars,
                            bias: Array(b.scalars[0..<g]), recurrentBias: Array(b.scalars[g..<2 * g]))
        } else {
            let b = try reader.take("bias", shape: [g])
            stored.append(Weight("bias", b))
            core.setWeights(stored: stored, inputDim: features, kernel: k.scalars, recurrent: r.scalars, bias: b.scalars)
        }
    }
}

/// Keras `SimpleRNN` at inference: `h = a(x_t·W + b + h·U)`, output `h`.
///
/// Layouts: input `(batch, time, features)`, optional initial state `h0 (batch, u)` as an extra input;
/// `kernel (features, u)`, `recurrent_kernel (u, u)`, `bias (u)`. Outputs as GRU (`[output, h]`).
struct SimpleRNN: RecurrentLayer {
    let name: String
    let className: String
    var core: RecurrentCore

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        core = try RecurrentCore(config: config, cell: .simple, cudnn: false)
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let features = try core.checkInputs(inputShapes, layer: name)
        let u = core.units
        let k = try reader.take("kernel", shape: [features, u])
        let r = try reader.take("recurrent_kernel", shape: [u, u])
        let b = core.useBias ? try reader.take("bias", shape: [u]) : nil
        core.setWeights(stored: [Weight("kernel", k), Weight("recurrent_kernel", r)] + (b.map { [Weight("bias", $0)] } ?? []),
                        inputDim: features, kernel: k.scalars, recurrent: r.scalars, bias: b?.scalars)
    }
}

/// Keras' generic `RNN` layer around one `LSTMCell`, `GRUCell` or `SimpleRNNCell`: the same layer
/// as `LSTM`, `GRU` or `SimpleRNN` (same weights in the same order, same math), with the cell's
/// options and the RNN's own (`return_sequences`, `return_state`, `go_backwards`, `stateful`,
/// `zero_output_for_mask` ...); summaries show it as `RNN`. Stacked cells are refused.
enum CellRNN {
    static let rnnOptions = ["return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                             "zero_output_for_mask", "time_major", "num_constants"]

    static func make(config: LayerConfig) throws -> any Layer {
        let cell = try config.wrappedLayer("cell")
        var values = cell.values
        for key in rnnOptions { values[key] = config.values[key] }
        values["name"] = .string(config.name)
        let merged = LayerConfig(className: "RNN", name: config.name, values: values, version: config.version)
        switch cell.className {
        case "LSTMCell": return try LSTM(config: merged)
        case "GRUCell": return try GRU(config: merged)
        case "SimpleRNNCell": return try SimpleRNN(config: merged)
        default:
            throw config.unsupported("its cell is a \(cell.className); kconv runs RNN around one LSTMCell, GRUCell or SimpleRNNCell")
        }
    }
}

// MARK: - Shared machinery

/// A recurrent layer over `(batch, time, features)` whose options, weights and forward pass live in `core`.
///
/// Inputs: `[x]` or `[x, initial states...]` (Keras 2 lists `initial_state` tensors as extra inputs of
/// the call; Keras 3 as `kwargs.initial_state`, which the importer appends the same way).
protocol RecurrentLayer: Layer {
    var core: RecurrentCore { get set }
}

extension RecurrentLayer {
    var weights: [Weight] { core.storedWeights }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        try core.outputShapes(for: inputShapes, layer: name)
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try core.forward(inputs, mask: nil, layer: name).outputs
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        let r = try core.forward(inputs, mask: masks.first ?? nil, layer: name)
        return (r.outputs, r.masks)
    }

    /// A call that starts from `states` (when the call has no initial-state inputs of its own) and
    /// also returns the final states, for streaming (``Model/predict(_:carrying:)``).
    func call(_ inputs: [Tensor], masks: [Tensor?], carrying states: [Tensor]?) throws
        -> (outputs: [Tensor], masks: [Tensor?], states: [Tensor])
    {
        guard !core.goBackwards else {
            throw KerasError(.unsupported, "layer '\(name)' reads its sequence backwards (go_backwards), so it cannot be streamed chunk by chunk")
        }
        return try core.forward(inputs.count == 1 ? inputs + (states ?? []) : inputs, mask: masks.first ?? nil, layer: name)
    }
}

/// What a masked time step outputs (its states always stay those of the previous step).
enum MaskedStepOutput: Sendable, Equatable {
    /// The previous step's output, zeros before the first valid step (tf.keras, Keras 3).
    case previousOutput
    /// Zeros (`zero_output_for_mask=True`; Bidirectional forces it when returning sequences).
    case zeros
    /// The previous `h` state (Keras 1 and multi-backend Keras 2.0–2.3: `tf.where(mask, output, states[0])`);
    /// differs from `previousOutput` only when a non-zero initial state meets a masked first step.
    case previousState
}

/// The options, weights and forward pass of a recurrent layer (LSTM, GRU, SimpleRNN).
///
/// - Input `(batch, time, features)`; `[x, h0(, c0)]` when initial states are given, each `(batch, u)`.
/// - `go_backwards` consumes the steps `T-1 … 0` and, with `return_sequences`, returns the outputs in
///   that processing order (output step 0 belongs to input step `T-1`), as Keras does.
/// - Masks `(batch, time)` (1 = valid): at a masked step a sample keeps its states and outputs as
///   `maskedOutput` says; with `return_sequences=false` the result is the last step's (so the last
///   valid step's) output. The output mask is the input mask with `return_sequences`, else none.
/// - `stateful` is accepted: a single `predict` of a freshly loaded Keras model also starts from zero
///   state, which is what this layer always does (no state is carried between calls).
/// - `dropout`, `recurrent_dropout`, `unroll`, `implementation`, `unit_forget_bias`, initializers,
///   regularizers and constraints do not change inference and are ignored. `time_major` is unsupported.
struct RecurrentCore: Sendable {
    /// The cell computed at each step.
    enum Cell: Sendable, Equatable {
        /// Gates i, f, c, o; states `[h, c]`.
        case lstm
        /// Gates z, r, h; state `[h]`.
        case gru(resetAfter: Bool)
        /// One block; state `[h]`.
        case simple

        var gates: Int {
            switch self {
            case .lstm: return 4
            case .gru: return 3
            case .simple: return 1
            }
        }

        var stateCount: Int { self == .lstm ? 2 : 1 }
    }

    let cell: Cell
    let units: Int
    let activation: Activation
    let recurrentActivation: Activation
    let useBias: Bool
    let returnSequences: Bool
    let returnState: Bool
    let goBackwards: Bool
    let stateful: Bool
    /// `zero_output_for_mask` (Bidirectional sets it to `returnSequences` in tf.keras and Keras 3).
    var zeroOutputForMask: Bool
    /// Keras 1 / multi-backend Keras 2 masking (masked steps output the previous `h` state).
    let legacyMasking: Bool
    /// CuDNN layers: no masks (Keras raises too).
    let rejectsMasks: Bool

    /// The weights as stored in the file, in Keras' order.
    private(set) var storedWeights: [Weight] = []
    /// Input feature count (set when the weights are set).
    private(set) var inputDim = 0
    /// `(inputDim, gates·u)`.
    private var kernel: [Float] = []
    /// `(u, gates·u)`; for GRU `reset_after=false` only its z and r columns, `(u, 2u)`.
    private var recurrentKernel: [Float] = []
    /// GRU `reset_after=false`: the candidate columns of the recurrent kernel, `(u, u)`.
    private var candidateKernel: [Float] = []
    /// `(gates·u)` input bias, or nil.
    private var bias: [Float]?
    /// GRU `reset_after=true`: `(3u)` recurrent bias, or nil.
    private var recurrentBias: [Float]?

    var stateCount: Int { cell.stateCount }

    /// What a masked step outputs, from the options and the Keras version.
    var maskedOutput: MaskedStepOutput {
        if zeroOutputForMask { return .zeros }
        return legacyMasking ? .previousState : .previousOutput
    }

    /// Reads the options common to recurrent layers; CuDNN layers use tanh/sigmoid and always a bias.
    init(config: LayerConfig, cell: Cell, cudnn: Bool) throws {
        self.cell = cell
        units = try config.int("units")
        guard units > 0 else { throw config.unsupported("units must be positive, got \(units)") }
        if cudnn {
            activation = .tanh
            recurrentActivation = .sigmoid
            useBias = true
        } else {
            activation = try config.activation("activation", default: "tanh")
            if cell == .simple {
                recurrentActivation = .linear
            } else {
                recurrentActivation = try config.activation("recurrent_activation",
                                                            default: config.version.defaultRecurrentActivation)
            }
            useBias = try config.bool("use_bias", default: true)
        }
        returnSequences = try config.bool("return_sequences", default: false)
        returnState = try config.bool("return_state", default: false)
        goBackwards = try config.bool("go_backwards", default: false)
        stateful = try config.bool("stateful", default: false)
        zeroOutputForMask = try config.bool("zero_output_for_mask", default: false)
        legacyMasking = config.version.rnnMasksWithPreviousState
        rejectsMasks = cudnn
        if try config.bool("time_major", default: false) {
            throw config.unsupported("time_major=true is not supported")
        }
        if let n = try? config.int("num_constants"), n > 0 {
            throw config.unsupported("constants (num_constants=\(n)) are not supported")
        }
    }

    /// Sets the weights in the plain layout: `kernel (in, G)`, `recurrent (u, G)`, biases `(G)`.
    mutating func setWeights(stored: [Weight], inputDim: Int, kernel: [Float], recurrent: [Float],
                             bias: [Float]?, recurrentBias: [Float]? = nil) {
        storedWeights = stored
        self.inputDim = inputDim
        self.kernel = kernel
        self.bias = bias
        self.recurrentBias = recurrentBias
        if case .gru(resetAfter: false) = cell {
            let u = units, g = 3 * u
            var zr = [Float](repeating: 0, count: u * 2 * u)
            var h = [Float](repeating: 0, count: u * u)
            for i in 0..<u {
                for j in 0..<2 * u { zr[i * 2 * u + j] = recurrent[i * g + j] }
                for j in 0..<u { h[i * u + j] = recurrent[i * g + 2 * u + j] }
            }
            recurrentKernel = zr
            candidateKernel = h
        } else {
            recurrentKernel = recurrent
        }
    }

    /// Checks the input shapes (`[x]` or `[x, states...]`) and returns the feature count.
    func checkInputs(_ shapes: [Shape], layer: String) throws -> Int {
        guard let x = shapes.first, shapes.count == 1 || shapes.count == 1 + stateCount else {
            throw KerasError(.shape, "layer '\(layer)' expects 1 input, or 1 input and \(stateCount) initial state(s), got \(shapes.count) inputs")
        }
        guard x.count == 3 else {
            throw KerasError(.shape, "layer '\(layer)' expects an input of rank 3 (batch, time, features), got shape \(x.kerasDescription)")
        }
        for s in shapes.dropFirst() {
            guard s.count == 2, s[1] == nil || s[1] == units else {
                throw KerasError(.shape, "layer '\(layer)': an initial state must have shape (batch, \(units)), got \(s.kerasDescription)")
            }
        }
        return try ShapeCheck(layer: layer).known(x[2], "feature")
    }

    func outputShapes(for inputShapes: [Shape], layer: String) throws -> [Shape] {
        let features = try checkInputs(inputShapes, layer: layer)
        if features != inputDim {
            throw KerasError(.shape, "layer '\(layer)' expects \(inputDim) features, got \(inputShapes[0].kerasDescription)")
        }
        let s = inputShapes[0]
        let output: Shape = returnSequences ? [s[0], s[1], units] : [s[0], units]
        return returnState ? [output] + Array(repeating: [s[0], units], count: stateCount) : [output]
    }

    /// The forward pass: `[output(, states...)]` and their masks.
    /// The forward pass; `states` are the final states, whatever `return_state` says.
    func forward(_ inputs: [Tensor], mask: Tensor?, layer: String) throws -> (outputs: [Tensor], masks: [Tensor?], states: [Tensor]) {
        guard let x = inputs.first, inputs.count == 1 || inputs.count == 1 + stateCount else {
            throw KerasError(.invalidArgument, "layer '\(layer)' expects 1 input, or 1 input and \(stateCount) initial state(s), got \(inputs.count)")
        }
        guard x.rank == 3, x.shape[2] == inputDim else {
            throw KerasError(.shape, "layer '\(layer)' expects an input (batch, time, \(inputDim)), got shape \(x.shape)")
        }
        let batch = x.shape[0], steps = x.shape[1], u = units
        let initial = try RecurrentLoop.initialStates(Array(inputs.dropFirst()), batch: batch, width: u, layer: layer)
        if mask != nil, rejectsMasks {
            throw KerasError(.unsupported, "layer '\(layer)': CuDNN recurrent layers do not support masking (Keras rejects it too); remove the Masking/mask_zero before it")
        }
        let maskValues = try RecurrentLoop.maskValues(mask, batch: batch, steps: steps, layer: layer)
        let loop = RecurrentLoop(batch: batch, steps: steps, stateWidth: u, stateCount: stateCount,
                                 returnSequences: returnSequences, goBackwards: goBackwards, maskedOutput: maskedOutput)
        let result = run(x, loop: loop, initial: initial, mask: maskValues)

        let output = returnSequences
            ? Tensor(uncheckedShape: [batch, steps, u], scalars: result.output)
            : Tensor(uncheckedShape: [batch, u], scalars: result.output)
        let outputMask = returnSequences ? mask : nil
        let states = result.states.map { Tensor(uncheckedShape: [batch, u], scalars: $0) }
        guard returnState else { return ([output], [outputMask], states) }
        return ([output] + states, [outputMask] + states.map { _ in nil }, states)
    }

    /// The input projection of every step at once, step-major: row `(s·batch + b)` is
    /// `x[b, t(s), :]·W + b` with `t(s) = s`, or `T-1-s` when going backwards. `(steps·batch, G)`.
    private func projectInputs(_ x: Tensor) -> [Float] {
        let batch = x.shape[0], steps = x.shape[1], n = inputDim, g = cell.gates * units
        var xs = [Float](repeating: 0, count: steps * batch * n)
        for s in 0..<steps {
            let t = goBackwards ? steps - 1 - s : s
            for b in 0..<batch {
                let src = (b * steps + t) * n, dst = (s * batch + b) * n
                for p in 0..<n { xs[dst + p] = x.scalars[src + p] }
            }
        }
        return GEMM.multiply(xs, kernel, m: steps * batch, k: n, n: g, bias: bias)
    }

    private func run(_ x: Tensor, loop: RecurrentLoop, initial: [[Float]]?, mask: [Float]?)
        -> (output: [Float], states: [[Float]])
    {
        let batch = loop.batch, u = units, g = cell.gates * units
        var z = projectInputs(x)
        // Per-step scratch: the recurrent projection (GRU) and r*h (GRU reset_after=false).
        var rec = [Float](repeating: 0, count: cell == .lstm || cell == .simple ? 0 : batch * g)
        var rh = [Float](repeating: 0, count: cell == .gru(resetAfter: false) ? batch * u : 0)
        let startsAtZero = initial == nil
        let a = activation, ra = recurrentActivation, cell = cell
        return z.withUnsafeMutableBufferPointer { zp in
            rec.withUnsafeMutableBufferPointer { recp in
                rh.withUnsafeMutableBufferPointer { rhp in
                    recurrentKernel.withUnsafeBufferPointer { up in
                        candidateKernel.withUnsafeBufferPointer { uhp in
                            RecurrentCore.withOptional(recurrentBias) { rb in
                                loop.run(initialStates: initial, mask: mask) { s, state, next in
                                    guard let zBase = zp.baseAddress, let uBase = up.baseAddress else { return }
                                    let zs = zBase + s * batch * g
                                    let hIsZero = startsAtZero && s == 0
                                    switch cell {
                                    case .lstm:
                                        if !hIsZero {
                                            GEMM.multiply(state, uBase, zs, m: batch, k: u, n: g, accumulate: true)
                                        }
                                        RecurrentCore.lstmCell(z: zs, rows: batch, units: u, state: state, next: next, a: a, ra: ra)
                                    case .simple:
                                        if !hIsZero {
                                            GEMM.multiply(state, uBase, zs, m: batch, k: u, n: u, accumulate: true)
                                        }
                                        a.apply(UnsafeMutableBufferPointer(start: zs, count: batch * u), rowLength: u)
                                        next.update(from: zs, count: batch * u)
                                    case .gru(resetAfter: true):
                                        guard let recBase = recp.baseAddress else { return }
                                        if hIsZero {
                                            for b in 0..<batch {
                                                if let rb { (recBase + b * g).update(from: rb, count: g) } else {
                                                    (recBase + b * g).update(repeating: 0, count: g)
                                                }
                                            }
                                        } else {
                                            GEMM.multiply(state, uBase, recBase, m: batch, k: u, n: g, bias: rb)
                                        }
                                        RecurrentCore.gruResetAfterCell(z: zs, rec: recBase, rows: batch, units: u,
                                                                        state: state, next: next, a: a, ra: ra)
                                    case .gru(resetAfter: false):
                                        guard let recBase = recp.baseAddress, let rhBase = rhp.baseAddress,
                                              let uhBase = uhp.baseAddress else { return }
                                        RecurrentCore.gruResetBeforeCell(z: zs, rec: recBase, rh: rhBase, rows: batch, units: u,
                                                                         hIsZero: hIsZero, recurrentZR: uBase, recurrentH: uhBase,
                                                                         state: state, next: next, a: a, ra: ra)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func withOptional<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard let a else { return try body(nil) }
        return try a.withUnsafeBufferPointer { try body($0.baseAddress) }
    }

    /// The LSTM cell on `rows` rows. `z (rows, 4u)` holds `x·W + b + h·U` in gate order i, f, c, o and
    /// is overwritten; `state` is `[h (rows, u), c (rows, u)]`, the new `[h, c]` go to `next`.
    static func lstmCell(z: UnsafeMutablePointer<Float>, rows: Int, units u: Int,
                         state: UnsafePointer<Float>, next: UnsafeMutablePointer<Float>, a: Activation, ra: Activation) {
        let g = 4 * u, n = rows * u
        for b in 0..<rows {
            let row = z + b * g
            // Row layout [i f c o]: i and f are contiguous.
            ra.apply(UnsafeMutableBufferPointer(start: row, count: 2 * u), rowLength: u)
            a.apply(UnsafeMutableBufferPointer(start: row + 2 * u, count: u), rowLength: u)
            ra.apply(UnsafeMutableBufferPointer(start: row + 3 * u, count: u), rowLength: u)
            let c = state + n + b * u
            let hNew = next + b * u, cNew = next + n + b * u
            for j in 0..<u {
                let value = row[u + j] * c[j] + row[j] * row[2 * u + j]
                cNew[j] = value
                hNew[j] = value
            }
            a.apply(UnsafeMutableBufferPointer(start: hNew, count: u), rowLength: u)
            for j in 0..<u { hNew[j] *= row[3 * u + j] }
        }
    }

    /// The GRU cell with `reset_after=true`: `z (rows, 3u)` = `x·W + b_in`, `rec (rows, 3u)` = `h·U + b_rec`.
    static func gruResetAfterCell(z: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>, rows: Int, units u: Int,
                                  state: UnsafePointer<Float>, next: UnsafeMutablePointer<Float>, a: Activation, ra: Activation) {
        let g = 3 * u
        for b in 0..<rows {
            let row = z + b * g, r = rec + b * g
            for j in 0..<2 * u { row[j] += r[j] }
            ra.apply(UnsafeMutableBufferPointer(start: row, count: 2 * u), rowLength: u)
            for j in 0..<u { row[2 * u + j] += row[u + j] * r[2 * u + j] }
            a.apply(UnsafeMutableBufferPointer(start: row + 2 * u, count: u), rowLength: u)
            let h = state + b * u, hNew = next + b * u
            for j in 0..<u {
                let zg = row[j]
                hNew[j] = zg * h[j] + (1 - zg) * row[2 * u + j]
            }
        }
    }

    /// The GRU cell with `reset_after=false`: `z (rows, 3u)` = `x·W + b`; `recurrentZR (u, 2u)` and
    /// `recurrentH (u, u)` are the recurrent kernel's z/r and h columns; `rec (rows, ≥2u)`, `rh (rows, u)` scratch.
    static func gruResetBeforeCell(z: UnsafeMutablePointer<Float>, rec: UnsafeMutablePointer<Float>,
                                   rh: UnsafeMutablePointer<Float>, rows: Int, units u: Int, hIsZero: Bool,
                                   recurrentZR: UnsafePointer<Float>, recurrentH: UnsafePointer<Float>,
                                   state: UnsafePointer<Float>, next: UnsafeMutablePointer<Float>,
                                   a: Activation, ra: Activation) {
        let g = 3 * u
        if !hIsZero {
            // z and r: x·W + b + h·U_zr (rows of 3u, first 2u columns).
            GEMM.multiply(state, recurrentZR, rec, m: rows, k: u, n: 2 * u)
            for b in 0..<rows {
                let row = z + b * g, r = rec + b * 2 * u
                for j in 0..<2 * u { row[j] += r[j] }
            }
        }
        for b in 0..<rows {
            let row = z + b * g
            ra.apply(UnsafeMutableBufferPointer(start: row, count: 2 * u), rowLength: u)
            let h = state + b * u
            for j in 0..<u { rh[b * u + j] = row[u + j] * h[j] }
        }
        if !hIsZero {
            // hh: x·W_h + b_h + (r*h)·U_h.
            GEMM.multiply(UnsafePointer(rh), recurrentH, rec, m: rows, k: u, n: u)
            for b in 0..<rows {
                let row = z + b * g
                for j in 0..<u { row[2 * u + j] += rec[b * u + j] }
            }
        }
        for b in 0..<rows {
            let row = z + b * g
            a.apply(UnsafeMutableBufferPointer(start: row + 2 * u, count: u), rowLength: u)
            let h = state + b * u, hNew = next + b * u
            for j in 0..<u {
                let zg = row[j]
                hNew[j] = zg * h[j] + (1 - zg) * row[2 * u + j]
            }
        }
    }
}

/// The time loop shared by every recurrent layer (LSTM, GRU, SimpleRNN, ConvLSTM): processing order,
/// masking, outputs and final states. The cell itself is the `step` closure.
///
/// States are `stateCount` blocks of `(batch, stateWidth)` (`stateWidth` = units, or positions ×
/// filters for ConvLSTM); block 0 is `h`, which is also the step's output.
struct RecurrentLoop {
    let batch: Int
    let steps: Int
    let stateWidth: Int
    let stateCount: Int
    let returnSequences: Bool
    let goBackwards: Bool
    let maskedOutput: MaskedStepOutput

    /// Checks initial-state tensors (`(batch, …)` with `width` values per sample); nil when none are given.
    static func initialStates(_ tensors: [Tensor], batch: Int, width: Int, layer: String) throws -> [[Float]]? {
        guard !tensors.isEmpty else { return nil }
        return try tensors.map { t in
            guard t.rank >= 2, t.shape[0] == batch, t.count == batch * width else {
                throw KerasError(.shape, "layer '\(layer)': an initial state has shape \(t.shape), expected \(batch) samples of \(width) values")
            }
            return t.scalars
        }
    }

    /// The mask's values `(batch, time)`, checked against the input; nil without a mask.
    static func maskValues(_ mask: Tensor?, batch: Int, steps: Int, layer: String) throws -> [Float]? {
        guard let mask else { return nil }
        guard mask.rank == 2, mask.shape[0] == batch, mask.shape[1] == steps else {
            throw KerasError(.shape, "layer '\(layer)': the mask has shape \(mask.shape), the input has \(batch) samples of \(steps) steps")
        }
        return mask.scalars
    }

    /// Runs the steps in processing order. `step(s, state, next)` reads the states and writes the new
    /// (unmasked) states of every sample to `next`; the loop then keeps them for valid samples only.
    /// Returns the output (`(batch, steps, width)` in processing order with `returnSequences`, else the
    /// last step's `(batch, width)`) and the final states.
    func run(initialStates: [[Float]]?, mask: [Float]?,
             step: (_ s: Int, _ state: UnsafePointer<Float>, _ next: UnsafeMutablePointer<Float>) throws -> Void) rethrows
        -> (output: [Float], states: [[Float]])
    {
        let w = stateWidth, n = batch * w
        let total = stateCount * n
        let state = UnsafeMutablePointer<Float>.allocate(capacity: max(total, 1))
        defer { state.deallocate() }
        let next = UnsafeMutablePointer<Float>.allocate(capacity: max(total, 1))
        defer { next.deallocate() }
        state.initialize(repeating: 0, count: total)
        next.initialize(repeating: 0, count: total)
        if let initialStates {
            for (k, values) in initialStates.enumerated() where k < stateCount {
                values.withUnsafeBufferPointer { p in
                    if let base = p.baseAddress { (state + k * n).update(from: base, count: min(n, p.count)) }
                }
            }
        }
        var out = [Float](repeating: 0, count: n)
        var sequence = [Float](repeating: 0, count: returnSequences ? batch * steps * w : 0)
        try out.withUnsafeMutableBufferPointer { outp in
            try sequence.withUnsafeMutableBufferPointer { seqp in
                guard let o = outp.baseAddress else { return }
                for s in 0..<steps {
                    try step(s, UnsafePointer(state), next)
                    let t = goBackwards ? steps - 1 - s : s
                    for b in 0..<batch {
                        let offset = b * w
                        if mask.map({ $0[b * steps + t] != 0 }) ?? true {
                            for k in 0..<stateCount {
                                (state + k * n + offset).update(from: next + k * n + offset, count: w)
                            }
                            (o + offset).update(from: next + offset, count: w)
                        } else {
                            switch maskedOutput {
                            case .previousOutput: break
                            case .zeros: (o + offset).update(repeating: 0, count: w)
                            case .previousState: (o + offset).update(from: state + offset, count: w)
                            }
                        }
                        if returnSequences, let seq = seqp.baseAddress {
                            (seq + (b * steps + s) * w).update(from: o + offset, count: w)
                        }
                    }
                }
            }
        }
        let states = (0..<stateCount).map { Array(UnsafeBufferPointer(start: state + $0 * n, count: n)) }
        return (returnSequences ? sequence : out, states)
    }
}
