import Foundation
import Testing
@testable import KerasRuntime

/// A `TimeDistributed` config wrapping `inner` (`class_name` + `config`).
private func timeDistributed(_ innerClass: String, _ inner: [String: JSON], version: String = "2.15.0") -> LayerConfig {
    var innerConfig = inner
    innerConfig["name"] = .string("inner")
    let values: [String: JSON] = ["layer": .object(["class_name": .string(innerClass), "config": .object(innerConfig)])]
    return LayerConfig(className: "TimeDistributed", name: "td", values: values, version: KerasVersion(version))
}

private func build(_ config: LayerConfig, input: Shape, weights: [Tensor]) throws -> any Layer {
    var layer = try LayerRegistry.make(config)
    var reader = WeightReader(layerName: config.name,
                              stored: weights.enumerated().map { .init(name: "w\($0.offset)", tensor: $0.element) })
    try layer.build(inputShapes: [input], weights: &reader)
    try reader.finish()
    return layer
}

private func ramp(_ count: Int, _ seed: Int) -> [Float] {
    (0..<count).map { Float(sin(Double($0 * 3 + seed) * 0.53)) }
}

@Suite struct WrapperTests {
    /// TimeDistributed(Dense) on (2, 3, 4) equals Dense applied to each x[:, t, :] (written out).
    @Test func timeDistributedDenseEqualsDensePerStep() throws {
        let batch = 2, steps = 3, n = 4, units = 5
        let kernel = ramp(n * units, 1), bias = ramp(units, 2)
        let weights = [try Tensor(shape: [n, units], scalars: kernel), try Tensor(shape: [units], scalars: bias)]
        let td = try build(timeDistributed("Dense", ["units": .number(Double(units)), "activation": .string("relu")]),
                           input: [nil, steps, n], weights: weights)
        #expect(td.className == "TimeDistributed")
        #expect(td.parameterCounts.trainable == n * units + units)
        #expect(td.weights.map(\.name) == ["kernel", "bias"])

        let x = try Tensor(shape: [batch, steps, n], scalars: ramp(batch * steps * n, 3))
        let y = try td.call([x])
        #expect(y.count == 1)
        #expect(y[0].shape == [batch, steps, units])
        for b in 0..<batch {
            for s in 0..<steps {
                for j in 0..<units {
                    var z = bias[j]
                    for p in 0..<n { z += x.scalars[(b * steps + s) * n + p] * kernel[p * units + j] }
                    let expected = max(z, 0)
                    let got = y[0].scalars[(b * steps + s) * units + j]
                    #expect(abs(got - expected) <= 1e-5 * (1 + abs(expected)))
                }
            }
        }
    }

    @Test func shapeInference() throws {
        let dense = try build(timeDistributed("Dense", ["units": .number(5)]), input: [nil, nil, 4],
                              weights: [Tensor(zeros: [4, 5]), Tensor(zeros: [5])])
        #expect(try dense.outputShapes(for: [[nil, nil, 4]]) == [[nil, nil, 5]])
        #expect(try dense.outputShapes(for: [[7, 3, 4]]) == [[7, 3, 5]])
        #expect(throws: KerasError.self) { try dense.outputShapes(for: [[nil, 4]]) }

        let flatten = try build(timeDistributed("Flatten", [:]), input: [nil, 3, 2, 2], weights: [])
        #expect(try flatten.outputShapes(for: [[nil, 3, 2, 2]]) == [[nil, 3, 4]])
        #expect(flatten.parameterCounts.trainable == 0)
        let y = try flatten.call([try Tensor(shape: [2, 3, 2, 2], scalars: ramp(24, 0))])
        #expect(y[0].shape == [2, 3, 4])
        #expect(y[0].scalars == ramp(24, 0))

        let lstm = try build(timeDistributed("LSTM", ["units": .number(5)]), input: [nil, 3, 4, 2],
                             weights: [Tensor(zeros: [2, 20]), Tensor(zeros: [5, 20]), Tensor(zeros: [20])])
        #expect(try lstm.outputShapes(for: [[nil, 3, 4, 2]]) == [[nil, 3, 5]])
        #expect(lstm.parameterCounts.trainable == 2 * 20 + 5 * 20 + 20)
        #expect(try lstm.call([Tensor(zeros: [2, 3, 4, 2])])[0].shape == [2, 3, 5])
    }

    /// TimeDistributed(LSTM) equals the LSTM run on each x[b, t] sequence alone.
    @Test func timeDistributedLSTMEqualsPerSlice() throws {
        let batch = 2, steps = 3, inner = 4, n = 2, u = 3
        let weights = [try Tensor(shape: [n, 4 * u], scalars: ramp(n * 4 * u, 1)),
                       try Tensor(shape: [u, 4 * u], scalars: ramp(u * 4 * u, 2)),
                       try Tensor(shape: [4 * u], scalars: ramp(4 * u, 3))]
        let td = try build(timeDistributed("LSTM", ["units": .number(Double(u))]), input: [nil, steps, inner, n], weights: weights)
        var plain = try LayerRegistry.make(LayerConfig(className: "LSTM", name: "plain", values: ["units": .number(Double(u))],
                                                       version: KerasVersion("2.15.0")))
        var reader = WeightReader(layerName: "plain", stored: weights.map { .init(name: "w", tensor: $0) })
        try plain.build(inputShapes: [[nil, inner, n]], weights: &reader)

        let x = try Tensor(shape: [batch, steps, inner, n], scalars: ramp(batch * steps * inner * n, 4))
        let y = try td.call([x])[0]
        #expect(y.shape == [batch, steps, u])
        for slice in 0..<batch * steps {
            let xs = try Tensor(shape: [1, inner, n], scalars: Array(x.scalars[slice * inner * n ..< (slice + 1) * inner * n]))
            let ys = try plain.call([xs])[0]
            #expect(ys.scalars == Array(y.scalars[slice * u ..< (slice + 1) * u]))
        }
    }

    @Test func rejectsBadWrappedConfig() throws {
        let missing = LayerConfig(className: "TimeDistributed", name: "td", values: [:], version: KerasVersion("2.15.0"))
        #expect(throws: KerasError.self) { try LayerRegistry.make(missing) }
        #expect(throws: KerasError.self) { try LayerRegistry.make(timeDistributed("NoSuchLayer", [:])) }
    }
}
