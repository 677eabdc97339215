import KConvOps

// Keras recurrent layers at inference: LSTM, GRU, SimpleRNN, their CuDNN variants and RNN(cell).
//
// Every layer here is its weights around `RecurrentCore` (RecurrentCore.swift), whose options are
// `RecurrentOptions` (shared with ConvLSTM) and whose time loop and cells run in KConvOps
// (`DenseRecurrence`): the input projection of all steps as one GEMM, one recurrent GEMM per step,
// Keras' masking per sample and per step, `go_backwards`, initial states.

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
/// `go_backwards`, masks, `stateful` and the ignored options: see `RecurrentOptions`.
///
/// `CuDNNLSTM` has no activation options (the math is LSTM with `sigmoid`/`tanh`) and stores
/// `kernel (features, 4u)`, `recurrent_kernel (u, 4u)`, `bias (8u)` (4u input biases then 4u
/// recurrent biases) in cuDNN's layout. `weights` keeps those stored tensors (so parameter counts
/// match Keras' summary); `build` converts them to the LSTM layout exactly as Keras'
/// `_convert_rnn_weights` does (`CuDNNWeights.lstm`). Keras rejects masks for CuDNN layers; so does this.
struct LSTM: RecurrentLayer {
    var core: RecurrentCore

    init(config: LayerConfig) throws {
        core = try RecurrentCore(config: config, cell: .lstm, cudnn: config.className == "CuDNNLSTM")
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let (features, rows, r) = try core.takeKernels(inputShapes, from: &reader)
        if core.isCuDNN {
            let k = try rows.tensor()
            let b = try reader.take("bias", shape: [2 * core.gateWidth])
            let plain = CuDNNWeights.lstm(kernel: k.scalars, recurrent: r.scalars, bias: b.scalars,
                                          inputDim: features, units: core.units)
            core.setWeights(stored: Weight.recurrent(k, r, b), inputDim: features, kernel: plain.kernel,
                            recurrent: plain.recurrent, bias: plain.bias)
        } else {
            let b = core.useBias ? try reader.take("bias", shape: [core.gateWidth]) : nil
            try core.setWeights(kernel: rows, afterKernel: Weight.afterKernel(r, b), inputDim: features,
                                recurrent: r.scalars, bias: b?.scalars)
        }
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
    var core: RecurrentCore

    init(config: LayerConfig) throws {
        let cudnn = config.className == "CuDNNGRU"
        let resetAfter = try cudnn || config.bool("reset_after", default: config.version.defaultGRUResetAfter)
        core = try RecurrentCore(config: config, cell: .gru(resetAfter: resetAfter), cudnn: cudnn)
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let (features, rows, r) = try core.takeKernels(inputShapes, from: &reader)
        let g = core.gateWidth
        if core.isCuDNN {
            let k = try rows.tensor()
            let b = try reader.take("bias", shape: [2 * g])
            let plain = CuDNNWeights.kernels(kernel: k.scalars, recurrent: r.scalars, inputDim: features,
                                             units: core.units, gates: 3)
            core.setWeights(stored: Weight.recurrent(k, r, b), inputDim: features, kernel: plain.kernel,
                            recurrent: plain.recurrent, bias: Array(b.scalars[0..<g]),
                            recurrentBias: Array(b.scalars[g..<2 * g]))
        } else if core.useBias, core.cell == .gru(resetAfter: true) {
            let b = try reader.take("bias", shape: [2, g])
            try core.setWeights(kernel: rows, afterKernel: Weight.afterKernel(r, b), inputDim: features, recurrent: r.scalars,
                                bias: Array(b.scalars[0..<g]), recurrentBias: Array(b.scalars[g..<2 * g]))
        } else {
            let b = core.useBias ? try reader.take("bias", shape: [g]) : nil
            try core.setWeights(kernel: rows, afterKernel: Weight.afterKernel(r, b), inputDim: features,
                                recurrent: r.scalars, bias: b?.scalars)
        }
    }
}

/// Keras `SimpleRNN` at inference: `h = a(x_t·W + b + h·U)`, output `h`.
///
/// Layouts: input `(batch, time, features)`, optional initial state `h0 (batch, u)` as an extra input;
/// `kernel (features, u)`, `recurrent_kernel (u, u)`, `bias (u)`. Outputs as GRU (`[output, h]`).
struct SimpleRNN: RecurrentLayer {
    var core: RecurrentCore

    init(config: LayerConfig) throws {
        core = try RecurrentCore(config: config, cell: .simple, cudnn: false)
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let (features, rows, r) = try core.takeKernels(inputShapes, from: &reader)
        let b = core.useBias ? try reader.take("bias", shape: [core.units]) : nil
        try core.setWeights(kernel: rows, afterKernel: Weight.afterKernel(r, b), inputDim: features,
                            recurrent: r.scalars, bias: b?.scalars)
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
