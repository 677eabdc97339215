import Foundation
import Testing
@testable import KerasRuntime

/// `Bidirectional(SimpleRNN(1, linear, no bias))`: forward `h = x + 0.5·h` (W=1, U=0.5), backward
/// `h = 2x + 0.25·h` (W=2, U=0.25). On x = [1, 2, 3]:
/// forward outputs 1, 2.5, 4.25; backward consumes 3, 2, 1 → 6, 5.5, 3.375, which reversed back in
/// time is [3.375, 5.5, 6].
private func bidirectional(merge: JSON = .string("concat"), _ extra: [String: JSON] = [:], version: String = "2.15.0",
                           backwardLayer: JSON? = nil, states: Bool = false) throws -> any Layer {
    var inner: [String: JSON] = ["name": .string("rnn"), "units": .number(1), "activation": .string("linear"),
                                 "use_bias": .bool(false)]
    for (k, v) in extra { inner[k] = v }
    var values: [String: JSON] = ["merge_mode": merge,
                                  "layer": .object(["class_name": .string("SimpleRNN"), "config": .object(inner)])]
    if let backwardLayer { values["backward_layer"] = backwardLayer }
    var layer = try LayerRegistry.make(LayerConfig(className: "Bidirectional", name: "bi", values: values,
                                                   version: KerasVersion(version)))
    let scalar = { (v: Float) in try Tensor(shape: [1, 1], scalars: [v]) }
    var reader = WeightReader(layerName: "bi", stored: [
        .init(name: "forward/kernel", tensor: try scalar(1)), .init(name: "forward/recurrent_kernel", tensor: try scalar(0.5)),
        .init(name: "backward/kernel", tensor: try scalar(2)), .init(name: "backward/recurrent_kernel", tensor: try scalar(0.25)),
    ])
    try layer.build(inputShapes: states ? [[nil, 3, 1], [nil, 1], [nil, 1]] : [[nil, 3, 1]], weights: &reader)
    try reader.finish()
    return layer
}

private let sequences: [String: JSON] = ["return_sequences": .bool(true)]

private func input() throws -> Tensor { try Tensor(shape: [1, 3, 1], scalars: [1, 2, 3]) }

@Suite struct BidirectionalTests {
    @Test func mergeModesOnSequences() throws {
        let x = try input()
        let concat = try bidirectional(sequences).call([x])
        #expect(concat.map(\.shape) == [[1, 3, 2]])
        #expect(concat[0].scalars == [1, 3.375, 2.5, 5.5, 4.25, 6], "forward first, backward reversed back in time")
        #expect(try bidirectional(merge: .string("sum"), sequences).call([x])[0].scalars == [4.375, 8, 10.25])
        #expect(try bidirectional(merge: .string("mul"), sequences).call([x])[0].scalars == [3.375, 13.75, 25.5])
        #expect(try bidirectional(merge: .string("ave"), sequences).call([x])[0].scalars == [2.1875, 4, 5.125])
        let none = try bidirectional(merge: .null, sequences).call([x])
        #expect(none.map(\.scalars) == [[1, 2.5, 4.25], [3.375, 5.5, 6]])
    }

    @Test func lastOutputsAndStates() throws {
        let x = try input()
        // Without sequences the backward part is its final output (it has seen x[2], x[1], x[0]).
        #expect(try bidirectional().call([x])[0].scalars == [4.25, 3.375])
        let withState = try bidirectional(merge: .string("sum"), ["return_state": .bool(true)]).call([x])
        #expect(withState.map(\.scalars) == [[7.625], [4.25], [3.375]], "[merged, forward h, backward h]")
        let noneState = try bidirectional(merge: .null, ["return_state": .bool(true)]).call([x])
        #expect(noneState.map(\.scalars) == [[4.25], [3.375], [4.25], [3.375]], "[y, y_rev, forward h, backward h]")
    }

    @Test func shapesWeightsAndParameters() throws {
        let layer = try bidirectional(sequences)
        #expect(layer.className == "Bidirectional")
        #expect(try layer.outputShapes(for: [[nil, 3, 1]]) == [[nil, 3, 2]])
        #expect(layer.weights.map(\.tensor.scalars) == [[1], [0.5], [2], [0.25]], "forward's weights, then backward's")
        #expect(layer.parameterCounts.trainable == 4)
        let none = try bidirectional(merge: .null, ["return_state": .bool(true)])
        #expect(try none.outputShapes(for: [[nil, 3, 1]]) == [[nil, 1], [nil, 1], [nil, 1], [nil, 1]])
        let sum = try bidirectional(merge: .string("sum"), sequences)
        #expect(try sum.outputShapes(for: [[7, nil, 1]]) == [[7, nil, 1]])
    }

    @Test func initialStatesSplitHalfHalf() throws {
        let layer = try bidirectional(merge: .string("sum"), states: true)
        let h = { (v: Float) in try Tensor(shape: [1, 1], scalars: [v]) }
        // Forward from 1: 1.5, 2.75, 4.375. Backward from 2: 6.5, 5.625, 3.40625.
        let y = try layer.call([try input(), try h(1), try h(2)])
        #expect(y[0].scalars == [4.375 + 3.40625])
        #expect(throws: KerasError.self) { try layer.call([try input(), try h(1)]) }
    }

    /// tf.keras / Keras 3 force `zero_output_for_mask = return_sequences` on both directions.
    @Test func maskedStepsAreZeroInReturnedSequences() throws {
        let x = try input(), m = try Tensor(shape: [1, 3], scalars: [1, 0, 1])
        // Forward: 1, (masked) 0, 3 + 0.5 = 3.5. Backward consumes x[2] → 6, x[1] masked → 0,
        // x[0] → 2 + 1.5 = 3.5; reversed back: 3.5, 0, 6.
        let y = try bidirectional(sequences).call([x], masks: [m])
        #expect(y.outputs[0].scalars == [1, 3.5, 0, 0, 3.5, 6])
        #expect(y.masks == [m])
        // Multi-backend Keras 2 does not force it: masked steps repeat the previous state.
        let legacy = try bidirectional(sequences, version: "2.2.4").call([x], masks: [m])
        #expect(legacy.outputs[0].scalars == [1, 3.5, 1, 6, 3.5, 6])
        // Without sequences: the last valid outputs, and no output mask.
        let last = try bidirectional().call([x], masks: [m])
        #expect(last.outputs[0].scalars == [3.5, 3.5])
        #expect(last.masks == [nil])
        let none = try bidirectional(merge: .null, sequences).call([x], masks: [m])
        #expect(none.masks == [m, m])
    }

    @Test func explicitBackwardLayer() throws {
        let backward: JSON = .object(["class_name": .string("SimpleRNN"), "config": .object([
            "name": .string("back"), "units": .number(1), "activation": .string("relu"), "use_bias": .bool(false),
            "go_backwards": .bool(true),
        ])])
        let x = try Tensor(shape: [1, 3, 1], scalars: [-1, 2, -3])
        // Forward (linear): -1, 2 - 0.5 = 1.5, -3 + 0.75 = -2.25.
        // Backward with relu: relu(-6) = 0, relu(4) = 4, relu(-2 + 1) = 0 (linear would end at -1.375).
        #expect(try bidirectional(backwardLayer: backward).call([x])[0].scalars == [-2.25, 0])
    }

    @Test func rejectsBadConfigs() throws {
        // Merge mode, wrapped class, and two layers with the same direction.
        #expect(throws: KerasError.self) { try bidirectional(merge: .string("max")) }
        let dense = LayerConfig(className: "Bidirectional", name: "bi", values: [
            "layer": .object(["class_name": .string("Dense"), "config": .object(["name": .string("d"), "units": .number(2)])]),
        ], version: KerasVersion("2.15.0"))
        #expect(throws: KerasError.self) { try LayerRegistry.make(dense) }
        let forwardAgain: JSON = .object(["class_name": .string("SimpleRNN"), "config": .object([
            "name": .string("back"), "units": .number(1),
        ])])
        #expect(throws: KerasError.self) { try bidirectional(backwardLayer: forwardAgain) }
    }
}
