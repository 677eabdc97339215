import Foundation
import Testing
@testable import KerasRuntime

/// Builds a recurrent layer from config values and stored weights, for inputs `(None, time, features)`.
private func makeRNN(_ className: String, _ values: [String: JSON], version: String = "2.15.0",
                     time: Int?, features: Int, weights: [Tensor]) throws -> any Layer {
    let config = LayerConfig(className: className, name: "rnn", values: values, version: KerasVersion(version))
    var layer = try LayerRegistry.make(config)
    var reader = WeightReader(layerName: "rnn",
                              stored: weights.enumerated().map { .init(name: "w\($0.offset)", tensor: $0.element) })
    try layer.build(inputShapes: [[nil, time, features]], weights: &reader)
    try reader.finish()
    return layer
}

private func t(_ shape: [Int], _ values: [Float]) throws -> Tensor { try Tensor(shape: shape, scalars: values) }

private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

/// One LSTM step for 1 unit and 1 feature, written out: weights are `[i, f, c, o]`.
private func handStep(x: Double, h: Double, c: Double, w: [Double], u: [Double], b: [Double],
                      ra: (Double) -> Double = sigmoid, a: (Double) -> Double = tanh) -> (h: Double, c: Double) {
    let zi = x * w[0] + h * u[0] + b[0]
    let zf = x * w[1] + h * u[1] + b[1]
    let zc = x * w[2] + h * u[2] + b[2]
    let zo = x * w[3] + h * u[3] + b[3]
    let i = ra(zi), f = ra(zf), cc = a(zc), o = ra(zo)
    let cNew = f * c + i * cc
    return (o * a(cNew), cNew)
}

private func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-5 * (1 + abs(b)) }

private let w1: [Double] = [0.5, -0.3, 0.8, 0.2]
private let u1: [Double] = [0.1, 0.4, -0.6, 0.3]
private let b1: [Double] = [0.05, 1.0, -0.1, 0.2]
private let xs1: [Double] = [0.7, -1.2]

private func weights1(bias: Bool = true) throws -> [Tensor] {
    var w = [try t([1, 4], w1.map(Float.init)), try t([1, 4], u1.map(Float.init))]
    if bias { w.append(try t([4], b1.map(Float.init))) }
    return w
}

@Suite struct RecurrentTests {
    @Test func lstmOneUnitTwoStepsByHand() throws {
        let layer = try makeRNN("LSTM", ["units": .number(1), "recurrent_activation": .string("sigmoid")],
                                time: 2, features: 1, weights: try weights1())
        let s1 = handStep(x: xs1[0], h: 0, c: 0, w: w1, u: u1, b: b1)
        let s2 = handStep(x: xs1[1], h: s1.h, c: s1.c, w: w1, u: u1, b: b1)
        let y = try layer.call([try t([1, 2, 1], xs1.map(Float.init))])
        #expect(y.count == 1)
        #expect(y[0].shape == [1, 1])
        #expect(close(y[0].scalars[0], s2.h))
        #expect(try layer.outputShapes(for: [[nil, 2, 1]]) == [[nil, 1]])
        #expect(layer.parameterCounts.trainable == 4 + 4 + 4)
        #expect(layer.className == "LSTM")
    }

    @Test func returnSequencesAndStateByHand() throws {
        let values: [String: JSON] = ["units": .number(1), "recurrent_activation": .string("sigmoid"),
                                      "return_sequences": .bool(true), "return_state": .bool(true)]
        let layer = try makeRNN("LSTM", values, time: 2, features: 1, weights: try weights1())
        #expect(try layer.outputShapes(for: [[nil, 2, 1]]) == [[nil, 2, 1], [nil, 1], [nil, 1]])
        #expect(try layer.outputShapes(for: [[4, nil, 1]]) == [[4, nil, 1], [4, 1], [4, 1]])
        let y = try layer.call([try t([1, 2, 1], xs1.map(Float.init))])
        let s1 = handStep(x: xs1[0], h: 0, c: 0, w: w1, u: u1, b: b1)
        let s2 = handStep(x: xs1[1], h: s1.h, c: s1.c, w: w1, u: u1, b: b1)
        #expect(y.map(\.shape) == [[1, 2, 1], [1, 1], [1, 1]])
        #expect(close(y[0].scalars[0], s1.h) && close(y[0].scalars[1], s2.h))
        #expect(close(y[1].scalars[0], s2.h))
        #expect(close(y[2].scalars[0], s2.c))
    }

    @Test func noBiasAndCustomActivation() throws {
        let values: [String: JSON] = ["units": .number(1), "activation": .string("relu"),
                                      "recurrent_activation": .string("sigmoid"), "use_bias": .bool(false)]
        let layer = try makeRNN("LSTM", values, time: 2, features: 1, weights: try weights1(bias: false))
        let relu = { (x: Double) in max(x, 0) }
        let s1 = handStep(x: xs1[0], h: 0, c: 0, w: w1, u: u1, b: [0, 0, 0, 0], a: relu)
        let s2 = handStep(x: xs1[1], h: s1.h, c: s1.c, w: w1, u: u1, b: [0, 0, 0, 0], a: relu)
        let y = try layer.call([try t([1, 2, 1], xs1.map(Float.init))])
        #expect(close(y[0].scalars[0], s2.h))
        #expect(layer.weights.map(\.name) == ["kernel", "recurrent_kernel"])
    }

    @Test func goBackwardsKeepsProcessingOrder() throws {
        let values: [String: JSON] = ["units": .number(1), "recurrent_activation": .string("sigmoid"),
                                      "return_sequences": .bool(true), "go_backwards": .bool(true)]
        let layer = try makeRNN("LSTM", values, time: 2, features: 1, weights: try weights1())
        let y = try layer.call([try t([1, 2, 1], xs1.map(Float.init))])
        // Steps are consumed x[1], then x[0]; output[0] belongs to x[1] and is not flipped back.
        let s1 = handStep(x: xs1[1], h: 0, c: 0, w: w1, u: u1, b: b1)
        let s2 = handStep(x: xs1[0], h: s1.h, c: s1.c, w: w1, u: u1, b: b1)
        #expect(y[0].shape == [1, 2, 1])
        #expect(close(y[0].scalars[0], s1.h))
        #expect(close(y[0].scalars[1], s2.h))
    }

    @Test func hardSigmoidFormulaFollowsVersion() throws {
        let values: [String: JSON] = ["units": .number(1), "recurrent_activation": .string("hard_sigmoid")]
        let hs2 = { (x: Double) in min(max(0.2 * x + 0.5, 0), 1) }
        let hs3 = { (x: Double) in min(max(x / 6 + 0.5, 0), 1) }
        let x = try t([1, 2, 1], xs1.map(Float.init))
        for (version, ra) in [("2.2.4", hs2), ("3.1.0", hs3)] {
            let layer = try makeRNN("LSTM", values, version: version, time: 2, features: 1, weights: try weights1())
            let s1 = handStep(x: xs1[0], h: 0, c: 0, w: w1, u: u1, b: b1, ra: ra)
            let s2 = handStep(x: xs1[1], h: s1.h, c: s1.c, w: w1, u: u1, b: b1, ra: ra)
            let y = try layer.call([x])
            #expect(close(y[0].scalars[0], s2.h), "Keras \(version)")
        }
        // The two formulas really differ on this case.
        let k2 = handStep(x: xs1[0], h: 0, c: 0, w: w1, u: u1, b: b1, ra: hs2).h
        let k3 = handStep(x: xs1[0], h: 0, c: 0, w: w1, u: u1, b: b1, ra: hs3).h
        #expect(abs(k2 - k3) > 1e-3)
    }

    @Test func defaultRecurrentActivationFollowsVersion() throws {
        let values: [String: JSON] = ["units": .number(1)]
        let x = try t([1, 2, 1], xs1.map(Float.init))
        let hs2 = { (x: Double) in min(max(0.2 * x + 0.5, 0), 1) }
        for (version, ra) in [("2.2.4", hs2), ("2.3.1", sigmoid)] {
            let layer = try makeRNN("LSTM", values, version: version, time: 2, features: 1, weights: try weights1())
            let s1 = handStep(x: xs1[0], h: 0, c: 0, w: w1, u: u1, b: b1, ra: ra)
            let s2 = handStep(x: xs1[1], h: s1.h, c: s1.c, w: w1, u: u1, b: b1, ra: ra)
            #expect(close(try layer.call([x])[0].scalars[0], s2.h), "Keras \(version)")
        }
    }

    @Test func zeroTimeStepsGiveZeroState() throws {
        let values: [String: JSON] = ["units": .number(1), "return_state": .bool(true)]
        let layer = try makeRNN("LSTM", values, time: nil, features: 1, weights: try weights1())
        let y = try layer.call([try t([2, 0, 1], [])])
        #expect(y.map(\.shape) == [[2, 1], [2, 1], [2, 1]])
        #expect(y.allSatisfy { $0.scalars == [0, 0] })
        let seq = try makeRNN("LSTM", ["units": .number(1), "return_sequences": .bool(true)],
                              time: nil, features: 1, weights: try weights1())
        #expect(try seq.call([try t([2, 0, 1], [])])[0].shape == [2, 0, 1])
    }

    /// Batch rows are independent: a batch of 6 (through GEMM's 4-row and 1-row paths) equals each row alone.
    @Test func batchRowsAreIndependent() throws {
        let n = 3, u = 2, steps = 4, batch = 6
        func values(_ count: Int, _ seed: Int) -> [Float] {
            (0..<count).map { Float(sin(Double($0 * 7 + seed) * 0.37)) * 0.8 }
        }
        let w = [try t([n, 4 * u], values(n * 4 * u, 1)), try t([u, 4 * u], values(u * 4 * u, 2)), try t([4 * u], values(4 * u, 3))]
        let layer = try makeRNN("LSTM", ["units": .number(Double(u)), "return_sequences": .bool(true)],
                                time: steps, features: n, weights: w)
        let x = try t([batch, steps, n], values(batch * steps * n, 4))
        let all = try layer.call([x])[0]
        for b in 0..<batch {
            let row = try t([1, steps, n], Array(x.scalars[b * steps * n ..< (b + 1) * steps * n]))
            let one = try layer.call([row])[0]
            #expect(one.scalars == Array(all.scalars[b * steps * u ..< (b + 1) * steps * u]))
        }
    }

    /// in=3, u=2: per gate block `G` (3×2) of the input kernel, `G'[i][j] = flatC(G)[j·3 + i]`;
    /// recurrent `G' = G.T`; bias = sum of the halves.
    @Test func cudnnConversionByHand() throws {
        let n = 3, u = 2, g = 8
        // kernel[r][c] = 10r + c, recurrent[r][c] = 100 + 10r + c, bias[k] = k.
        let kernel = (0..<n * g).map { Float(($0 / g) * 10 + $0 % g) }
        let recurrent = (0..<u * g).map { Float(100 + ($0 / g) * 10 + $0 % g) }
        let bias = (0..<2 * g).map(Float.init)
        let (k, r, b) = CuDNNWeights.lstm(kernel: kernel, recurrent: recurrent, bias: bias, inputDim: n, units: u)
        // Gate 0: G = [[0,1],[10,11],[20,21]], flatC = [0,1,10,11,20,21] → G' = [[0,11],[1,20],[10,21]].
        // Gate 1: G = [[2,3],[12,13],[22,23]] → G' = [[2,13],[3,22],[12,23]] (and so on, +2 per gate).
        let expectedKernel: [Float] = [
            0, 11, 2, 13, 4, 15, 6, 17,
            1, 20, 3, 22, 5, 24, 7, 26,
            10, 21, 12, 23, 14, 25, 16, 27,
        ]
        #expect(k == expectedKernel)
        // Recurrent gate 0: G = [[100,101],[110,111]] → G.T = [[100,110],[101,111]].
        let expectedRecurrent: [Float] = [
            100, 110, 102, 112, 104, 114, 106, 116,
            101, 111, 103, 113, 105, 115, 107, 117,
        ]
        #expect(r == expectedRecurrent)
        #expect(b == (0..<g).map { Float($0 + $0 + g) })
    }

    /// A CuDNNLSTM computes what an LSTM (sigmoid/tanh) computes with the converted weights, and
    /// keeps the stored weights (8u bias) for parameter counts.
    @Test func cudnnLayerMatchesConvertedLSTM() throws {
        let n = 3, u = 2, g = 8, steps = 3
        func values(_ count: Int, _ seed: Int) -> [Float] {
            (0..<count).map { Float(cos(Double($0 * 5 + seed) * 0.61)) * 0.7 }
        }
        let kernel = values(n * g, 1), recurrent = values(u * g, 2), bias = values(2 * g, 3)
        let cudnn = try makeRNN("CuDNNLSTM", ["units": .number(Double(u)), "return_sequences": .bool(true)],
                                version: "2.2.4", time: steps, features: n,
                                weights: [try t([n, g], kernel), try t([u, g], recurrent), try t([2 * g], bias)])
        #expect(cudnn.className == "CuDNNLSTM")
        #expect(cudnn.parameterCounts.trainable == n * g + u * g + 2 * g)
        #expect(cudnn.weights.map(\.tensor.shape) == [[n, g], [u, g], [2 * g]])

        let (k, r, b) = CuDNNWeights.lstm(kernel: kernel, recurrent: recurrent, bias: bias, inputDim: n, units: u)
        let lstm = try makeRNN("LSTM", ["units": .number(Double(u)), "return_sequences": .bool(true),
                                        "activation": .string("tanh"), "recurrent_activation": .string("sigmoid")],
                               version: "2.2.4", time: steps, features: n,
                               weights: [try t([n, g], k), try t([u, g], r), try t([g], b)])
        let x = try t([2, steps, n], values(2 * steps * n, 4))
        #expect(try cudnn.call([x]) == lstm.call([x]))
        // The conversion is not the identity here (in ≠ u makes the reshape visible).
        #expect(k != kernel)
    }

    /// A layer's `weights` are the stored tensors, bit for bit, whether the recurrence holds the input
    /// kernel in Keras' layout (then the layer keeps no copy of its own: a large LSTM input, GRU,
    /// SimpleRNN) or in another (an LSTM's gate blocks, a CuDNN conversion).
    @Test(arguments: [("LSTM", 4, 3, 60), ("LSTM", 4, 100, 3), ("LSTM", 4, 16, 17), ("GRU", 3, 5, 4), ("SimpleRNN", 1, 6, 2),
                      ("CuDNNLSTM", 8, 7, 3)])
    func weightsAreTheStoredTensors(className: String, bias: Int, features: Int, units: Int) throws {
        let g = (className == "GRU" ? 3 : className == "SimpleRNN" ? 1 : 4) * units
        func values(_ count: Int, _ seed: Int) -> [Float] { (0..<count).map { Float(sin(Double($0 * 3 + seed) * 0.29)) } }
        let stored = [try t([features, g], values(features * g, 1)), try t([units, g], values(units * g, 2)),
                      try t([bias * units], values(bias * units, 3))]
        let layer = try makeRNN(className, ["units": .number(Double(units))], version: className == "CuDNNLSTM" ? "2.2.4" : "2.15.0",
                                time: 2, features: features, weights: stored)
        #expect(layer.weights.map(\.name) == ["kernel", "recurrent_kernel", "bias"])
        #expect(layer.weights.map(\.tensor.shape) == stored.map(\.shape))
        #expect(layer.weights.map { $0.tensor.scalars.map(\.bitPattern) } == stored.map { $0.scalars.map(\.bitPattern) })
        #expect(layer.parameterCounts.trainable == stored.map(\.count).reduce(0, +))
    }

    @Test func rejectsUnsupportedAndBadShapes() throws {
        let config = LayerConfig(className: "LSTM", name: "rnn",
                                 values: ["units": .number(2), "time_major": .bool(true)], version: KerasVersion("2.15.0"))
        #expect(throws: KerasError.self) { try LayerRegistry.make(config) }
        // Options that do not change inference are accepted.
        let ok = LayerConfig(className: "LSTM", name: "rnn",
                             values: ["units": .number(2), "stateful": .bool(true), "unroll": .bool(true),
                                      "implementation": .number(2), "dropout": .number(0.5),
                                      "recurrent_dropout": .number(0.2), "unit_forget_bias": .bool(true)],
                             version: KerasVersion("2.15.0"))
        _ = try LayerRegistry.make(ok)
        // Wrong weight shape, wrong input rank.
        #expect(throws: KerasError.self) {
            _ = try makeRNN("LSTM", ["units": .number(2)], time: 2, features: 1, weights: try weights1())
        }
        let layer = try makeRNN("LSTM", ["units": .number(1)], time: 2, features: 1, weights: try weights1())
        #expect(throws: KerasError.self) { try layer.outputShapes(for: [[nil, 1]]) }
        #expect(throws: KerasError.self) { try layer.call([try t([1, 2, 2], [0, 0, 0, 0])]) }
    }
}
