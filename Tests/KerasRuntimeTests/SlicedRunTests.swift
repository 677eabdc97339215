import Foundation
import Testing
@testable import KerasRuntime
import KConvOps

/// Runs of sample-wise layers called slice by slice of the batch (`SlicedRun`): which steps they
/// cover, and that a prediction through them gives the bits of the layers called one after another
/// on the whole batch (the path taken while observing every layer's outputs).
@Suite("sliced runs of sample-wise layers")
struct SlicedRunTests {
    static func layer(_ className: String, _ name: String, _ config: [String: JSON], on input: TensorRef) -> LayerSpec {
        var config = config
        config["name"] = .string(name)
        return LayerSpec(className: className, name: name, config: config, calls: [[input]])
    }

    static func timeDistributed(_ name: String, _ innerClass: String, _ inner: [String: JSON], on input: String) -> LayerSpec {
        var inner = inner
        inner["name"] = .string(name + "_inner")
        return layer("TimeDistributed", name, ["layer": .object(["class_name": .string(innerClass), "config": .object(inner)])],
                     on: TensorRef(input))
    }

    static func conv(filters: Int, padding: String, activation: String) -> [String: JSON] {
        ["filters": .number(Double(filters)), "kernel_size": .array([.number(3), .number(3)]), "padding": .string(padding),
         "activation": .string(activation), "use_bias": .bool(true)]
    }

    /// `x (None, 4, 18, 10, 3)` → TimeDistributed(Conv2D 20, same, relu) → TimeDistributed(Conv2D 16,
    /// valid: the Winograd convolution) → Dropout → TimeDistributed(Flatten) → LSTM(5) → Dense(3):
    /// 57.6 KB per sample after the first convolution, so the four calls before the LSTM run in
    /// slices of 4 samples. `branch` also feeds the Dropout's output to a second Dense, which ends
    /// the run there.
    static func model(branch: Bool = false) throws -> LayerGraph {
        var layers = [
            KConvFixtures.input("x", [4, 18, 10, 3]),
            timeDistributed("conv_a", "Conv2D", conv(filters: 20, padding: "same", activation: "relu"), on: "x"),
            timeDistributed("conv_b", "Conv2D", conv(filters: 16, padding: "valid", activation: "tanh"), on: "conv_a"),
            layer("Dropout", "drop", ["rate": .number(0.5)], on: TensorRef("conv_b")),
            timeDistributed("flat", "Flatten", [:], on: "drop"),
            layer("LSTM", "lstm", ["units": .number(5), "activation": .string("tanh"), "recurrent_activation": .string("sigmoid")],
                  on: TensorRef("flat")),
            KConvFixtures.dense("out", units: 3, activation: "linear", on: "lstm"),
        ]
        var outputs = [TensorRef("out")]
        if branch {
            layers.append(timeDistributed("side", "Flatten", [:], on: "drop"))
            outputs.append(TensorRef("side"))
        }
        let spec = GraphSpec(name: "sliced", isSequential: false, layers: layers, inputs: [TensorRef("x")], outputs: outputs)
        return try LayerGraph(spec: spec, version: KerasVersion("2.21.0"), weights: KConvFixtures.Weights(byLayer: [
            "conv_a": [KConvFixtures.tensor([3, 3, 3, 20], seed: 1), KConvFixtures.tensor([20], seed: 2)],
            "conv_b": [KConvFixtures.tensor([3, 3, 20, 16], seed: 3), KConvFixtures.tensor([16], seed: 4)],
            "lstm": [KConvFixtures.tensor([8 * 16 * 16, 20], seed: 5), KConvFixtures.tensor([5, 20], seed: 6),
                     KConvFixtures.tensor([20], seed: 7)],
            "out": [KConvFixtures.tensor([5, 3], seed: 8), KConvFixtures.tensor([3], seed: 9)],
        ]))
    }

    /// The model's outputs with every layer called on the whole batch, one after another.
    static func unsliced(_ graph: LayerGraph, _ x: Tensor) throws -> [[UInt32]] {
        try graph.predict([x], observing: { _, _, _ in }).map { $0.scalars.map(\.bitPattern) }
    }

    @Test("the sample-wise calls before the LSTM make one run; a value read twice ends it")
    func runsFound() throws {
        #expect(try Self.model().slicedRuns.values.map(\.steps) == [0..<4])
        // conv_a, conv_b, drop: the Dropout's output is read by two layers, so it leaves the run.
        #expect(try Self.model(branch: true).slicedRuns.values.map(\.steps) == [0..<3])
        // Dense(1024) on 512 inputs: half a million weights, more than a slice should read again.
        #expect(try KerasModelConfigurationTests.wide().slicedRuns.isEmpty)
    }

    @Test("sliced predictions give the whole-batch calls' bits, at every batch size and thread cap",
          arguments: [1, 3, 4, 9, 13])
    func slicedEqualsWholeBatch(batch: Int) throws {
        for branch in [false, true] {
            let graph = try Self.model(branch: branch)
            let x = KConvFixtures.tensor([batch, 4, 18, 10, 3], seed: 10 + batch)
            let reference = try Self.unsliced(graph, x)
            for threads in [1, 2, 3] {
                let sliced = try ThreadBudget.$cap.withValue(threads) { try graph.predict([x]) }
                #expect(sliced.map { $0.scalars.map(\.bitPattern) } == reference, "batch \(batch), threads \(threads), branch \(branch)")
                #expect(sliced.map(\.shape) == (branch ? [[batch, 3], [batch, 4, 8 * 16 * 16]] : [[batch, 3]]))
            }
        }
    }

    @Test("a sample's outputs do not depend on the samples sliced with it")
    func sampleAlone() throws {
        let graph = try Self.model()
        let x = KConvFixtures.tensor([9, 4, 18, 10, 3], seed: 3)
        let all = try graph.predict([x])[0].scalars
        let frame = x.count / 9
        for sample in [0, 4, 8] {
            let alone = try Tensor(shape: [1, 4, 18, 10, 3], scalars: Array(x.scalars[sample * frame..<(sample + 1) * frame]))
            #expect(try graph.predict([alone])[0].scalars.map(\.bitPattern) == all[sample * 3..<(sample + 1) * 3].map(\.bitPattern))
        }
    }
}
