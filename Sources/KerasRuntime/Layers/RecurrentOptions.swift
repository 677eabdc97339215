import KConvOps

/// The options every Keras recurrent layer shares (the arguments of Keras' `RNN` base class, and the
/// cell's activations), read once for LSTM, GRU, SimpleRNN, RNN(cell) and ConvLSTM.
///
/// - `return_sequences`: every step's output `(batch, time, …)`, else the last step's `(batch, …)`.
/// - `return_state`: the final states follow the output (`[output, h(, c)]`), each shaped like one step.
/// - `go_backwards` consumes the steps `T-1 … 0` and, with `return_sequences`, returns the outputs in
///   that processing order (output step 0 belongs to input step `T-1`), as Keras does.
/// - Masks `(batch, time)` (1 = valid): at a masked step a sample keeps its states and outputs as
///   `maskedOutput` says; with `return_sequences=false` the result is the last step's (so the last
///   valid step's) output. The output mask is the input mask with `return_sequences`, else none.
/// - `stateful` is accepted and changes nothing in one call: a call starts from zero states, or from
///   initial states given as extra inputs, as the first `predict` of a freshly loaded stateful Keras
///   model does. Carrying the final states into the next call is what `KerasModel.predict(_:carrying:)`
///   does, for every LSTM, GRU, SimpleRNN and RNN layer that reads forwards, stateful or not.
/// - `time_major=true` and constants (`num_constants > 0`) are refused. `dropout`,
///   `recurrent_dropout`, `unroll`, `implementation`, `unit_forget_bias`, initializers,
///   regularizers and constraints do not change inference and are ignored.
struct RecurrentOptions: Sendable {
    /// The activation options a layer has.
    enum Activations {
        /// `activation` (default `tanh`) and `recurrent_activation` with this default.
        case gated(recurrentDefault: String)
        /// `activation` only (default `tanh`); no recurrent activation (SimpleRNN).
        case single
        /// None: `tanh` and `sigmoid` (the CuDNN layers).
        case fixed
    }

    let activation: Activation
    /// The gates' activation (`linear` for a layer without one).
    let recurrentActivation: Activation
    let returnSequences, returnState, goBackwards: Bool
    /// `zero_output_for_mask` (Bidirectional sets it to `returnSequences` in tf.keras and Keras 3).
    var zeroOutputForMask: Bool
    /// Keras 1 / multi-backend Keras 2 masking (masked steps output the previous `h` state).
    let legacyMasking: Bool

    init(config: LayerConfig, activations: Activations) throws {
        switch activations {
        case .gated(let recurrentDefault):
            activation = try config.activation("activation", default: "tanh")
            recurrentActivation = try config.activation("recurrent_activation", default: recurrentDefault)
        case .single:
            activation = try config.activation("activation", default: "tanh")
            recurrentActivation = .linear
        case .fixed:
            activation = .tanh
            recurrentActivation = .sigmoid
        }
        returnSequences = try config.bool("return_sequences", default: false)
        returnState = try config.bool("return_state", default: false)
        goBackwards = try config.bool("go_backwards", default: false)
        _ = try config.bool("stateful", default: false)
        zeroOutputForMask = try config.bool("zero_output_for_mask", default: false)
        legacyMasking = config.version.rnnMasksWithPreviousState
        if try config.bool("time_major", default: false) {
            throw config.unsupported("time_major=true is not supported")
        }
        if let n = try? config.int("num_constants"), n > 0 {
            throw config.unsupported("constants (num_constants=\(n)) are not supported")
        }
    }

    /// What a masked step outputs, from the options and the Keras version.
    var maskedOutput: MaskedStepOutput {
        if zeroOutputForMask { return .zeros }
        return legacyMasking ? .previousState : .previousOutput
    }

    /// The time loop these options describe, for `stateCount` states of `stateWidth` values per sample.
    func recurrence(batch: Int, steps: Int, stateWidth: Int, stateCount: Int) -> Recurrence {
        Recurrence(batch: batch, steps: steps, stateWidth: stateWidth, stateCount: stateCount,
                   returnsSequence: returnSequences, backwards: goBackwards, maskedOutput: maskedOutput)
    }

    /// The output shapes for an input `(batch, time, …)` whose steps output `step` (batch first).
    func outputShapes(input: Shape, step: Shape, stateCount: Int) -> [Shape] {
        let output: Shape = returnSequences ? [input[0], input[1]] + Array(step.dropFirst()) : step
        return returnState ? [output] + Array(repeating: step, count: stateCount) : [output]
    }

    /// The layer's outputs and their masks from a recurrence's result, each step `stepShape` (batch
    /// first); `states` are the final states, whatever `return_state` says.
    func outputs(_ result: (output: [Float], states: [[Float]]), steps: Int, stepShape: [Int], mask: Tensor?)
        -> (outputs: [Tensor], masks: [Tensor?], states: [Tensor])
    {
        let output = returnSequences
            ? Tensor(uncheckedShape: [stepShape[0], steps] + stepShape.dropFirst(), scalars: result.output)
            : Tensor(uncheckedShape: stepShape, scalars: result.output)
        let outputMask = returnSequences ? mask : nil
        let states = result.states.map { Tensor(uncheckedShape: stepShape, scalars: $0) }
        guard returnState else { return ([output], [outputMask], states) }
        return ([output] + states, [outputMask] + states.map { _ in nil }, states)
    }

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
}

extension Weight {
    /// A recurrent layer's stored weights in Keras' order: `kernel`, `recurrent_kernel`, then `bias` if any.
    static func recurrent(_ kernel: Tensor, _ recurrent: Tensor, _ bias: Tensor?) -> [Weight] {
        [Weight("kernel", kernel)] + afterKernel(recurrent, bias)
    }

    /// The stored weights after `kernel`: `recurrent_kernel`, then `bias` if any.
    static func afterKernel(_ recurrent: Tensor, _ bias: Tensor?) -> [Weight] {
        [Weight("recurrent_kernel", recurrent)] + (bias.map { [Weight("bias", $0)] } ?? [])
    }
}
