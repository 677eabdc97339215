import Foundation
import Testing
@testable import KerasRuntime

/// Builds a layer from config values and stored weights for inputs `(None, time, features)` (+ states).
private func make(_ className: String, _ values: [String: JSON], version: String = "2.15.0",
                  inputs: [Shape], weights: [Tensor]) throws -> any Layer {
    let config = LayerConfig(className: className, name: "rnn", values: values, version: KerasVersion(version))
    var layer = try LayerRegistry.make(config)
    var reader = WeightReader(layerName: "rnn",
                              stored: weights.enumerated().map { .init(name: "w\($0.offset)", tensor: $0.element) })
    try layer.build(inputShapes: inputs, weights: &reader)
    try reader.finish()
    return layer
}

private func t(_ shape: [Int], _ values: [Double]) throws -> Tensor {
    try Tensor(shape: shape, scalars: values.map(Float.init))
}

private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
private func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-5 * (1 + abs(b)) }

/// One unit, one feature. Kernel columns `[z, r, h]`.
private let w: [Double] = [0.6, -0.4, 0.9]
private let u: [Double] = [0.3, 0.7, -0.5]
private let bIn: [Double] = [0.1, -0.2, 0.05]
private let bRec: [Double] = [-0.15, 0.25, 0.4]
private let xs: [Double] = [0.8, -1.1, 0.3]

/// GRU step, `reset_after=true`: `hh = tanh(x·W_h + bi_h + r*(h·U_h + br_h))`.
private func stepAfter(_ x: Double, _ h: Double) -> Double {
    let z = sigmoid(x * w[0] + bIn[0] + h * u[0] + bRec[0])
    let r = sigmoid(x * w[1] + bIn[1] + h * u[1] + bRec[1])
    let hh = tanh(x * w[2] + bIn[2] + r * (h * u[2] + bRec[2]))
    return z * h + (1 - z) * hh
}

/// GRU step, `reset_after=false`: `hh = tanh(x·W_h + b_h + (r*h)·U_h)`.
private func stepBefore(_ x: Double, _ h: Double) -> Double {
    let z = sigmoid(x * w[0] + bIn[0] + h * u[0])
    let r = sigmoid(x * w[1] + bIn[1] + h * u[1])
    let hh = tanh(x * w[2] + bIn[2] + (r * h) * u[2])
    return z * h + (1 - z) * hh
}

@Suite struct GRUTests {
    private let sigmoidConfig: [String: JSON] = ["units": .number(1), "recurrent_activation": .string("sigmoid"),
                                                 "return_sequences": .bool(true)]

    @Test func resetAfterByHand() throws {
        var values = sigmoidConfig
        values["reset_after"] = .bool(true)
        let layer = try make("GRU", values, inputs: [[nil, 3, 1]],
                             weights: [try t([1, 3], w), try t([1, 3], u), try t([2, 3], bIn + bRec)])
        let y = try layer.call([try t([1, 3, 1], xs)])[0]
        var h = 0.0
        for (s, x) in xs.enumerated() {
            h = stepAfter(x, h)
            #expect(close(y.scalars[s], h), "step \(s)")
        }
        #expect(layer.weights.map(\.tensor.shape) == [[1, 3], [1, 3], [2, 3]])
        #expect(layer.parameterCounts.trainable == 3 + 3 + 6)
    }

    @Test func resetBeforeByHand() throws {
        var values = sigmoidConfig
        values["reset_after"] = .bool(false)
        let layer = try make("GRU", values, inputs: [[nil, 3, 1]],
                             weights: [try t([1, 3], w), try t([1, 3], u), try t([3], bIn)])
        let y = try layer.call([try t([1, 3, 1], xs)])[0]
        var h = 0.0
        for (s, x) in xs.enumerated() {
            h = stepBefore(x, h)
            #expect(close(y.scalars[s], h), "step \(s)")
        }
        // The two modes really differ here (from the second step on, when h ≠ 0).
        #expect(abs(stepAfter(xs[1], stepAfter(xs[0], 0)) - stepBefore(xs[1], stepBefore(xs[0], 0))) > 1e-3)
    }

    /// Two units, three features: the gate blocks are column ranges of every weight (z | r | h).
    @Test func multiUnitBlocksBothModes() throws {
        let n = 3, units = 2, g = 3 * units, steps = 3
        func ramp(_ count: Int, _ seed: Int) -> [Double] { (0..<count).map { sin(Double($0 * 5 + seed) * 0.41) * 0.7 } }
        let kernel = ramp(n * g, 1), recurrent = ramp(units * g, 2), bias = ramp(2 * g, 3), x = ramp(steps * n, 4)
        for resetAfter in [true, false] {
            let b = resetAfter ? bias : Array(bias[0..<g])
            let layer = try make("GRU", ["units": .number(2), "recurrent_activation": .string("sigmoid"),
                                         "reset_after": .bool(resetAfter), "return_sequences": .bool(true)],
                                 inputs: [[nil, steps, n]],
                                 weights: [try t([n, g], kernel), try t([units, g], recurrent),
                                           try t(resetAfter ? [2, g] : [g], b)])
            let y = try layer.call([try t([1, steps, n], x)])[0]
            var h = [Double](repeating: 0, count: units)
            for s in 0..<steps {
                // xw[c] = x_t·W[:, c] + b_in[c]; hu[c] = h·U[:, c] (+ b_rec[c] when reset_after).
                var xw = [Double](repeating: 0, count: g), hu = [Double](repeating: 0, count: g)
                for c in 0..<g {
                    xw[c] = bias[c] + (0..<n).reduce(0) { $0 + x[s * n + $1] * kernel[$1 * g + c] }
                    hu[c] = (resetAfter ? bias[g + c] : 0) + (0..<units).reduce(0) { $0 + h[$1] * recurrent[$1 * g + c] }
                }
                var next = h
                let r = (0..<units).map { sigmoid(xw[units + $0] + hu[units + $0]) }
                for j in 0..<units {
                    let z = sigmoid(xw[j] + hu[j])
                    let hh: Double
                    if resetAfter {
                        hh = tanh(xw[2 * units + j] + r[j] * hu[2 * units + j])
                    } else {
                        let rhU = (0..<units).reduce(0) { $0 + r[$1] * h[$1] * recurrent[$1 * g + 2 * units + j] }
                        hh = tanh(xw[2 * units + j] + rhU)
                    }
                    next[j] = z * h[j] + (1 - z) * hh
                }
                h = next
                for j in 0..<units {
                    #expect(close(y.scalars[s * units + j], h[j]), "reset_after=\(resetAfter) step \(s) unit \(j)")
                }
            }
        }
    }

    @Test func resetAfterDefaultFollowsVersionAndBiasShape() throws {
        let values: [String: JSON] = ["units": .number(1)]
        // Keras 2.x without the key: reset_after=False, bias (3u).
        let old = try make("GRU", values, version: "2.2.4", inputs: [[nil, 3, 1]],
                           weights: [try t([1, 3], w), try t([1, 3], u), try t([3], bIn)])
        #expect(old.weights.last?.tensor.shape == [3])
        // Keras 3 without the key: reset_after=True, bias (2, 3u); a (3u) bias is a shape error.
        #expect(throws: KerasError.self) {
            _ = try make("GRU", values, version: "3.1.0", inputs: [[nil, 3, 1]],
                         weights: [try t([1, 3], w), try t([1, 3], u), try t([3], bIn)])
        }
    }

    /// CuDNNGRU: kernels converted per gate like CuDNNLSTM, bias (6u) read as (2, 3u); the math is
    /// GRU reset_after=True with tanh/sigmoid. Stored weights stay as in the file.
    @Test func cudnnGRUEqualsConvertedGRU() throws {
        let n = 3, units = 2, g = 3 * units, steps = 4
        func ramp(_ count: Int, _ seed: Int) -> [Double] { (0..<count).map { cos(Double($0 * 7 + seed) * 0.29) * 0.6 } }
        let kernel = ramp(n * g, 1), recurrent = ramp(units * g, 2), bias = ramp(2 * g, 3)
        let cudnn = try make("CuDNNGRU", ["units": .number(2), "return_sequences": .bool(true)], version: "2.2.4",
                             inputs: [[nil, steps, n]],
                             weights: [try t([n, g], kernel), try t([units, g], recurrent), try t([2 * g], bias)])
        #expect(cudnn.className == "CuDNNGRU")
        #expect(cudnn.weights.map(\.tensor.shape) == [[n, g], [units, g], [2 * g]])
        #expect(cudnn.parameterCounts.trainable == n * g + units * g + 2 * g)
        // Per gate block q: input kernel G'[i][j] = flatC(G)[j·n + i] = G[(j·n+i) / u][(j·n+i) % u];
        // recurrent G' = G.T.
        var k = [Double](repeating: 0, count: n * g), r = [Double](repeating: 0, count: units * g)
        for q in 0..<3 {
            for i in 0..<n {
                for j in 0..<units {
                    let f = j * n + i
                    k[i * g + q * units + j] = kernel[(f / units) * g + q * units + f % units]
                }
            }
            for i in 0..<units {
                for j in 0..<units { r[i * g + q * units + j] = recurrent[j * g + q * units + i] }
            }
        }
        let gru = try make("GRU", ["units": .number(2), "return_sequences": .bool(true), "reset_after": .bool(true),
                                   "activation": .string("tanh"), "recurrent_activation": .string("sigmoid")],
                           version: "2.2.4", inputs: [[nil, steps, n]],
                           weights: [try t([n, g], k), try t([units, g], r), try t([2, g], bias)])
        let x = try t([2, steps, n], ramp(2 * steps * n, 4))
        #expect(try cudnn.call([x]) == gru.call([x]))
        #expect(k != kernel)
    }

    @Test func initialStateAndReturnState() throws {
        var values = sigmoidConfig
        values["reset_after"] = .bool(true)
        values["return_state"] = .bool(true)
        let layer = try make("GRU", values, inputs: [[nil, 3, 1], [nil, 1]],
                             weights: [try t([1, 3], w), try t([1, 3], u), try t([2, 3], bIn + bRec)])
        #expect(try layer.outputShapes(for: [[nil, 3, 1], [nil, 1]]) == [[nil, 3, 1], [nil, 1]])
        let h0 = 0.45
        let y = try layer.call([try t([1, 3, 1], xs), try t([1, 1], [h0])])
        var h = h0
        for x in xs { h = stepAfter(x, h) }
        #expect(y.count == 2)
        #expect(close(y[0].scalars[2], h))
        #expect(close(y[1].scalars[0], h))
        // A wrong state count or shape is an error.
        #expect(throws: KerasError.self) { try layer.outputShapes(for: [[nil, 3, 1], [nil, 1], [nil, 1]]) }
        #expect(throws: KerasError.self) { try layer.call([try t([1, 3, 1], xs), try t([1, 2], [0, 0])]) }
    }

    @Test func simpleRNNByHand() throws {
        // h = tanh(x·0.7 + 0.1 + h·(-0.4)); go_backwards consumes x[2], x[1], x[0].
        let weights = [try t([1, 1], [0.7]), try t([1, 1], [-0.4]), try t([1], [0.1])]
        let step = { (x: Double, h: Double) in tanh(x * 0.7 + 0.1 + h * -0.4) }
        let forward = try make("SimpleRNN", ["units": .number(1), "return_sequences": .bool(true)],
                               inputs: [[nil, 3, 1]], weights: weights)
        let backward = try make("SimpleRNN", ["units": .number(1), "return_sequences": .bool(true), "go_backwards": .bool(true)],
                                inputs: [[nil, 3, 1]], weights: weights)
        let x = try t([1, 3, 1], xs)
        let yf = try forward.call([x])[0], yb = try backward.call([x])[0]
        var hf = 0.0, hb = 0.0
        for s in 0..<3 {
            hf = step(xs[s], hf)
            hb = step(xs[2 - s], hb)
            #expect(close(yf.scalars[s], hf))
            #expect(close(yb.scalars[s], hb), "processing order, not flipped back")
        }
        #expect(forward.className == "SimpleRNN")
        #expect(forward.parameterCounts.trainable == 3)
        // Without bias, with relu and an initial state.
        let relu = try make("SimpleRNN", ["units": .number(1), "use_bias": .bool(false), "activation": .string("relu")],
                            inputs: [[nil, 3, 1], [nil, 1]], weights: Array(weights[0..<2]))
        var h = -0.5
        for v in xs { h = max(v * 0.7 + h * -0.4, 0) }
        #expect(close(try relu.call([x, try t([1, 1], [-0.5])])[0].scalars[0], h))
    }
}
