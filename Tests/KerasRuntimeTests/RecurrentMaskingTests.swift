import Foundation
import Testing
@testable import KerasRuntime

/// Masks inside recurrent layers, on a 1-unit linear SimpleRNN: `h_t = x_t + 0.5·h_{t-1}`.
///
/// Keras (tf.keras / Keras 3): at a masked step a sample keeps its state and outputs the previous
/// output (zeros before its first valid step), or zeros with `zero_output_for_mask`.
private func rnn(_ extra: [String: JSON] = [:], version: String = "2.15.0", states: Bool = false) throws -> any Layer {
    var values: [String: JSON] = ["units": .number(1), "activation": .string("linear"), "use_bias": .bool(false)]
    for (k, v) in extra { values[k] = v }
    let config = LayerConfig(className: "SimpleRNN", name: "rnn", values: values, version: KerasVersion(version))
    var layer = try LayerRegistry.make(config)
    var reader = WeightReader(layerName: "rnn", stored: [
        .init(name: "kernel", tensor: try Tensor(shape: [1, 1], scalars: [1])),
        .init(name: "recurrent_kernel", tensor: try Tensor(shape: [1, 1], scalars: [0.5])),
    ])
    try layer.build(inputShapes: states ? [[nil, nil, 1], [nil, 1]] : [[nil, nil, 1]], weights: &reader)
    try reader.finish()
    return layer
}

private func seq(_ values: [Float], batch: Int = 1) throws -> Tensor {
    try Tensor(shape: [batch, values.count / batch, 1], scalars: values)
}

private func mask(_ values: [Float], batch: Int = 1) throws -> Tensor {
    try Tensor(shape: [batch, values.count / batch], scalars: values)
}

private let sequences: [String: JSON] = ["return_sequences": .bool(true)]

@Suite struct RecurrentMaskingTests {
    @Test func maskedStepsCarryStateAndPreviousOutput() throws {
        let x = try seq([1, 2, 3, 4]), m = try mask([1, 0, 1, 0])
        // t0: 1; t1 masked → output 1, h stays 1; t2: 3 + 0.5·1 = 3.5; t3 masked → 3.5.
        let y = try rnn(sequences).call([x], masks: [m])
        #expect(y.outputs[0].scalars == [1, 1, 3.5, 3.5])
        #expect(y.masks.count == 1 && y.masks[0] == m, "return_sequences passes the mask on")
        let last = try rnn(["return_state": .bool(true)]).call([x], masks: [m])
        #expect(last.outputs.map(\.scalars) == [[3.5], [3.5]], "the last valid step's output; state carried")
        #expect(last.masks.allSatisfy { $0 == nil }, "no mask without return_sequences")
        // Without the mask every step counts: 1, 2.5, 4.25, 6.125.
        #expect(try rnn(sequences).call([x], masks: [nil]).outputs[0].scalars == [1, 2.5, 4.25, 6.125])
    }

    @Test func leadingMaskedStepsOutputZeros() throws {
        let y = try rnn(sequences).call([try seq([1, 2, 3, 4])], masks: [try mask([0, 0, 1, 1])])
        // t2: 3 + 0.5·0 = 3; t3: 4 + 1.5 = 5.5.
        #expect(y.outputs[0].scalars == [0, 0, 3, 5.5])
    }

    @Test func zeroOutputForMask() throws {
        let x = try seq([1, 2, 3, 4]), m = try mask([1, 0, 1, 0])
        var options = sequences
        options["zero_output_for_mask"] = .bool(true)
        #expect(try rnn(options).call([x], masks: [m]).outputs[0].scalars == [1, 0, 3.5, 0])
        // Last step masked: the output is zeros, the state is still the last valid one.
        let last = try rnn(["zero_output_for_mask": .bool(true), "return_state": .bool(true)]).call([x], masks: [m])
        #expect(last.outputs.map(\.scalars) == [[0], [3.5]])
    }

    @Test func masksArePerSample() throws {
        let x = try seq([1, 2, 3, 4, 1, 2, 3, 4], batch: 2)
        let m = try mask([1, 0, 1, 0, 0, 1, 1, 1], batch: 2)
        let y = try rnn(sequences).call([x], masks: [m])
        // Sample 1: t0 masked → 0; t1: 2; t2: 3 + 1 = 4; t3: 4 + 2 = 6.
        #expect(y.outputs[0].scalars == [1, 1, 3.5, 3.5, 0, 2, 4, 6])
        let last = try rnn().call([x], masks: [m])
        #expect(last.outputs[0].scalars == [3.5, 6])
    }

    @Test func goBackwardsReadsTheMaskBackwards() throws {
        var options = sequences
        options["go_backwards"] = .bool(true)
        // Processing x[3] (masked) → 0, x[2] → 3, x[1] (masked) → 3, x[0] → 1 + 1.5 = 2.5.
        let y = try rnn(options).call([try seq([1, 2, 3, 4])], masks: [try mask([1, 0, 1, 0])])
        #expect(y.outputs[0].scalars == [0, 3, 3, 2.5])
    }

    @Test func initialStateMeetsMaskedFirstStep() throws {
        let x = try seq([1, 2, 3, 4]), m = try mask([0, 1, 1, 1]), h0 = try Tensor(shape: [1, 1], scalars: [2])
        // The state keeps h0 = 2 through t0: t1 = 2 + 1 = 3, t2 = 3 + 1.5 = 4.5, t3 = 4 + 2.25 = 6.25.
        // tf.keras / Keras 3 output zeros at t0 (no previous output yet) ...
        let modern = try rnn(sequences, states: true).call([x, h0], masks: [m, nil])
        #expect(modern.outputs[0].scalars == [0, 3, 4.5, 6.25])
        // ... Keras 1 and multi-backend Keras 2 output the previous state, h0.
        let legacy = try rnn(sequences, version: "2.2.4", states: true).call([x, h0], masks: [m, nil])
        #expect(legacy.outputs[0].scalars == [2, 3, 4.5, 6.25])
        #expect(KerasVersion("2.2.4").rnnMasksWithPreviousState)
        #expect(!KerasVersion("2.2.4-tf").rnnMasksWithPreviousState)
        #expect(!KerasVersion("2.10.0").rnnMasksWithPreviousState)
        #expect(!KerasVersion("3.3.3").rnnMasksWithPreviousState)
    }

    /// LSTM: both h and c are carried through masked steps.
    @Test func lstmCarriesBothStates() throws {
        let config = LayerConfig(className: "LSTM", name: "lstm",
                                 values: ["units": .number(1), "recurrent_activation": .string("sigmoid"),
                                          "return_sequences": .bool(true), "return_state": .bool(true)],
                                 version: KerasVersion("2.15.0"))
        var layer = try LayerRegistry.make(config)
        var reader = WeightReader(layerName: "lstm", stored: [
            .init(name: "kernel", tensor: try Tensor(shape: [1, 4], scalars: [0.5, -0.3, 0.8, 0.2])),
            .init(name: "recurrent_kernel", tensor: try Tensor(shape: [1, 4], scalars: [0.1, 0.4, -0.6, 0.3])),
            .init(name: "bias", tensor: Tensor([0.05, 1.0, -0.1, 0.2])),
        ])
        try layer.build(inputShapes: [[nil, 3, 1]], weights: &reader)
        let x = try seq([0.7, -1.2, 0.4])
        let masked = try layer.call([x], masks: [try mask([1, 0, 0])]).outputs
        let first = try layer.call([try seq([0.7])], masks: [nil]).outputs
        let h1 = first[1].scalars[0], c1 = first[2].scalars[0]
        #expect(masked[0].scalars == [h1, h1, h1])
        #expect(masked[1].scalars == [h1] && masked[2].scalars == [c1])
        #expect(c1 != h1)
    }

    @Test func cudnnLayersRejectMasks() throws {
        let config = LayerConfig(className: "CuDNNLSTM", name: "cudnn", values: ["units": .number(1)],
                                 version: KerasVersion("2.2.4"))
        var layer = try LayerRegistry.make(config)
        var reader = WeightReader(zerosFor: "cudnn")
        try layer.build(inputShapes: [[nil, 2, 1]], weights: &reader)
        let x = try seq([1, 2])
        #expect(try layer.call([x], masks: [nil]).outputs[0].shape == [1, 1])
        #expect(throws: KerasError.self) { try layer.call([x], masks: [try mask([1, 0])]) }
    }

    @Test func badMaskShapeIsAnError() throws {
        #expect(throws: KerasError.self) {
            try rnn().call([try seq([1, 2, 3])], masks: [try mask([1, 0])])
        }
    }

    @Test func timeDistributedPassesTheMaskOn() throws {
        let values: [String: JSON] = ["layer": .object(["class_name": .string("Dense"),
                                                        "config": .object(["name": .string("d"), "units": .number(1)])])]
        var td = try LayerRegistry.make(LayerConfig(className: "TimeDistributed", name: "td", values: values,
                                                    version: KerasVersion("2.15.0")))
        var reader = WeightReader(zerosFor: "td")
        try td.build(inputShapes: [[nil, 3, 2]], weights: &reader)
        let m = try mask([1, 0, 1])
        let y = try td.call([try Tensor(shape: [1, 3, 2], scalars: [1, 2, 3, 4, 5, 6])], masks: [m])
        #expect(y.masks == [m])
    }
}
