import Foundation
import Testing
@testable import KerasRuntime

private func make(_ className: String, _ values: [String: JSON], input: Shape, weights: [Tensor],
                  version: String = "2.15.0") throws -> any Layer {
    var config = values
    config["name"] = .string("layer")
    var layer = try LayerRegistry.make(LayerConfig(className: className, name: "layer", values: config,
                                                   version: KerasVersion(version)))
    var reader = WeightReader(layerName: "layer",
                              stored: weights.enumerated().map { .init(name: "w\($0.offset)", tensor: $0.element) })
    try layer.build(inputShapes: [input], weights: &reader)
    try reader.finish()
    return layer
}

private func ramp(_ count: Int, _ seed: Int) -> [Float] {
    (0..<count).map { Float(sin(Double($0 * 3 + seed) * 0.47)) * 0.6 }
}

private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
private func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-5 * (1 + abs(b)) }

@Suite struct ConvLSTMTests {
    /// With 1×1 kernels a ConvLSTM2D is an LSTM run independently at every pixel.
    @Test func oneByOneKernelIsAnLSTMPerPixel() throws {
        let batch = 2, steps = 3, h = 2, w = 3, c = 2, f = 2, g = 4 * f
        let kernel = ramp(c * g, 1), recurrent = ramp(f * g, 2), bias = ramp(g, 3)
        let options: [String: JSON] = ["filters": .number(Double(f)), "kernel_size": .array([.number(1), .number(1)]),
                                       "padding": .string("same"), "return_sequences": .bool(true),
                                       "recurrent_activation": .string("sigmoid")]
        let conv = try make("ConvLSTM2D", options, input: [nil, steps, h, w, c],
                            weights: [try Tensor(shape: [1, 1, c, g], scalars: kernel),
                                      try Tensor(shape: [1, 1, f, g], scalars: recurrent),
                                      try Tensor(shape: [g], scalars: bias)])
        let lstm = try make("LSTM", ["units": .number(Double(f)), "return_sequences": .bool(true),
                                     "recurrent_activation": .string("sigmoid")],
                            input: [nil, steps, c],
                            weights: [try Tensor(shape: [c, g], scalars: kernel), try Tensor(shape: [f, g], scalars: recurrent),
                                      try Tensor(shape: [g], scalars: bias)])
        let x = try Tensor(shape: [batch, steps, h, w, c], scalars: ramp(batch * steps * h * w * c, 4))
        let y = try conv.call([x])[0]
        #expect(y.shape == [batch, steps, h, w, f])
        for b in 0..<batch {
            for p in 0..<h * w {
                var pixel: [Float] = []
                for s in 0..<steps {
                    let start: Int = ((b * steps + s) * h * w + p) * c
                    pixel += x.scalars[start..<(start + c)]
                }
                let ref = try lstm.call([try Tensor(shape: [1, steps, c], scalars: pixel)])[0]
                for s in 0..<steps {
                    for j in 0..<f {
                        let got = y.scalars[((b * steps + s) * h * w + p) * f + j]
                        #expect(abs(got - ref.scalars[s * f + j]) <= 1e-6, "b\(b) pixel \(p) step \(s)")
                    }
                }
            }
        }
        #expect(conv.parameterCounts.trainable == c * g + f * g + g)
    }

    /// ConvLSTM1D, 1 channel, 1 filter, kernel 3, 'same' padding, two steps of width 3, written out:
    /// `z_g[p] = Σ_k x[p+k-1]·K[k, g] + b_g + Σ_k h[p+k-1]·U[k, g]` (zeros outside), then the LSTM gates.
    @Test func convLSTM1DByHand() throws {
        let k: [Double] = [0.3, -0.2, 0.5, 0.1, 0.4, -0.3, 0.2, 0.6, -0.1, 0.25, 0.15, -0.35]  // (3, 1, 4)
        let u: [Double] = [0.2, 0.1, -0.4, 0.3, -0.1, 0.5, 0.2, -0.2, 0.3, -0.3, 0.1, 0.4]     // (3, 1, 4)
        let bias: [Double] = [0.05, 0.9, -0.1, 0.2]
        let xs: [[Double]] = [[0.5, -1.0, 0.8], [1.2, 0.3, -0.6]]
        let layer = try make("ConvLSTM1D", ["filters": .number(1), "kernel_size": .number(3), "padding": .string("same"),
                                            "recurrent_activation": .string("sigmoid"), "return_sequences": .bool(true),
                                            "return_state": .bool(true)],
                             input: [nil, 2, 3, 1],
                             weights: [try Tensor(shape: [3, 1, 4], scalars: k.map(Float.init)),
                                       try Tensor(shape: [3, 1, 4], scalars: u.map(Float.init)),
                                       try Tensor(shape: [4], scalars: bias.map(Float.init))])
        #expect(try layer.outputShapes(for: [[nil, 2, 3, 1]]) == [[nil, 2, 3, 1], [nil, 3, 1], [nil, 3, 1]])
        let y = try layer.call([try Tensor(shape: [1, 2, 3, 1], scalars: xs.flatMap { $0 }.map(Float.init))])
        func conv(_ v: [Double], _ w: [Double], _ gate: Int, _ p: Int) -> Double {
            (0..<3).reduce(0) { sum, tap in
                let i = p + tap - 1
                return i >= 0 && i < 3 ? sum + v[i] * w[tap * 4 + gate] : sum
            }
        }
        var h = [0.0, 0.0, 0.0], c = [0.0, 0.0, 0.0]
        for s in 0..<2 {
            var hNew = h, cNew = c
            for p in 0..<3 {
                let z = (0..<4).map { conv(xs[s], k, $0, p) + bias[$0] + conv(h, u, $0, p) }
                let i = sigmoid(z[0]), f = sigmoid(z[1]), cc = tanh(z[2]), o = sigmoid(z[3])
                cNew[p] = f * c[p] + i * cc
                hNew[p] = o * tanh(cNew[p])
            }
            h = hNew
            c = cNew
            for p in 0..<3 { #expect(close(y[0].scalars[s * 3 + p], h[p]), "step \(s) position \(p)") }
        }
        for p in 0..<3 {
            #expect(close(y[1].scalars[p], h[p]))
            #expect(close(y[2].scalars[p], c[p]))
        }
    }

    @Test func shapesPaddingStridesAndDefaults() throws {
        let f = 3, c = 2
        let layer = try make("ConvLSTM2D", ["filters": .number(Double(f)), "kernel_size": .array([.number(3), .number(2)]),
                                            "strides": .array([.number(2), .number(1)]), "padding": .string("valid")],
                             input: [nil, 4, 7, 5, c],
                             weights: [Tensor(zeros: [3, 2, c, 4 * f]), Tensor(zeros: [3, 2, f, 4 * f]), Tensor(zeros: [4 * f])])
        // rows: (7 - 3) / 2 + 1 = 3; cols: 5 - 2 + 1 = 4.
        #expect(try layer.outputShapes(for: [[nil, 4, 7, 5, c]]) == [[nil, 3, 4, f]])
        #expect(try layer.outputShapes(for: [[2, nil, 7, 5, c]]) == [[2, 3, 4, f]])
        #expect(throws: KerasError.self) { try layer.outputShapes(for: [[nil, 4, 7, 5, c + 1]]) }
        #expect(throws: KerasError.self) { try layer.outputShapes(for: [[nil, 7, 5, c]]) }
        // Zero weights: every gate is hard_sigmoid(0) = 0.5 (Keras 2 default), c = 0.5·0 = 0, h = 0.
        let y = try layer.call([Tensor(zeros: [1, 4, 7, 5, c])])[0]
        #expect(y.shape == [1, 3, 4, f] && y.scalars.allSatisfy { $0 == 0 })
        #expect(layer.weights.map(\.name) == ["kernel", "recurrent_kernel", "bias"])
        // channels_first is not supported.
        #expect(throws: KerasError.self) {
            try LayerRegistry.make(LayerConfig(className: "ConvLSTM2D", name: "l", values: [
                "filters": .number(1), "kernel_size": .number(3), "data_format": .string("channels_first"),
            ], version: KerasVersion("2.15.0")))
        }
    }

    /// go_backwards: the steps are consumed last to first and returned in processing order.
    @Test func goBackwardsProcessingOrder() throws {
        let g = 4
        let weights = [try Tensor(shape: [1, 1, 1, g], scalars: [0.4, -0.3, 0.7, 0.2]),
                       try Tensor(shape: [1, 1, 1, g], scalars: [0.1, 0.3, -0.5, 0.2]),
                       try Tensor(shape: [g], scalars: [0.1, 0.5, 0, -0.1])]
        let options: [String: JSON] = ["filters": .number(1), "kernel_size": .number(1), "return_sequences": .bool(true),
                                       "recurrent_activation": .string("sigmoid")]
        var backwardOptions = options
        backwardOptions["go_backwards"] = .bool(true)
        let forward = try make("ConvLSTM2D", options, input: [nil, 3, 1, 1, 1], weights: weights)
        let backward = try make("ConvLSTM2D", backwardOptions, input: [nil, 3, 1, 1, 1], weights: weights)
        let x: [Float] = [0.3, -0.8, 1.1]
        let yb = try backward.call([try Tensor(shape: [1, 3, 1, 1, 1], scalars: x)])[0]
        let yf = try forward.call([try Tensor(shape: [1, 3, 1, 1, 1], scalars: x.reversed())])[0]
        #expect(yb.scalars == yf.scalars)
    }
}
