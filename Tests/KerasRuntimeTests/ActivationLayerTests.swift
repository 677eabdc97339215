import Foundation
import Testing
@testable import KerasRuntime
import KConvOps

/// A layer built from a JSON config written in the test.
private func layer(_ className: String, _ config: String = "{}", inputShapes: [Shape],
                   weights: [Tensor] = [], version: String = "2.15.0") throws -> any Layer {
    try makeLayer(className, try JSON(parsing: config).objectValue ?? [:], inputShapes: inputShapes,
                  weights: weights, version: version)
}

private func run(_ l: any Layer, _ x: Tensor) throws -> Tensor { try l.call([x])[0] }

@Suite("Advanced activation layers")
struct ActivationLayerTests {
    static let xs: [Float] = [-2, -0.5, 0, 0.5, 1, 3]
    private var x: Tensor { Tensor(uncheckedShape: [1, 6], scalars: Self.xs) }

    @Test("ReLU: keep x > threshold, clip to [0, max_value], subtract slope·relu(threshold − x)")
    func reluAllOptions() throws {
        let l = try layer("ReLU", #"{"max_value": 2, "negative_slope": 0.2, "threshold": 0.5}"#, inputShapes: [[nil, 6]])
        // x > 0.5: [0, 0, 0, 0, 1, 3] → clip: [0, 0, 0, 0, 1, 2] → − 0.2·[2.5, 1, 0.5, 0, 0, 0].
        expectWindowClose(try run(l, x), shape: [1, 6], [-0.5, -0.2, -0.1, 0, 1, 2])
        #expect(l.weights.isEmpty && l.maskBehavior == .passThrough)
    }

    @Test("ReLU defaults, max_value alone, threshold alone (x equal to the threshold gives 0)")
    func reluSingleOptions() throws {
        expectWindowClose(try run(try layer("ReLU", inputShapes: [[nil, 6]]), x), shape: [1, 6], [0, 0, 0, 0.5, 1, 3])
        expectWindowClose(try run(try layer("ReLU", #"{"max_value": 0.75}"#, inputShapes: [[nil, 6]]), x),
                          shape: [1, 6], [0, 0, 0, 0.5, 0.75, 0.75])
        expectWindowClose(try run(try layer("ReLU", #"{"threshold": 1.0}"#, inputShapes: [[nil, 6]]), x),
                          shape: [1, 6], [0, 0, 0, 0, 0, 3])
        expectWindowClose(try run(try layer("ReLU", #"{"negative_slope": 0.5}"#, inputShapes: [[nil, 6]]), x),
                          shape: [1, 6], [-1, -0.25, 0, 0.5, 1, 3])
    }

    @Test("LeakyReLU: alpha (Keras 2, default 0.3) or negative_slope (Keras 3)")
    func leakyReLU() throws {
        expectWindowClose(try run(try layer("LeakyReLU", inputShapes: [[nil, 6]]), x), shape: [1, 6],
                          [-0.6, -0.15, 0, 0.5, 1, 3])
        expectWindowClose(try run(try layer("LeakyReLU", #"{"alpha": 0.1}"#, inputShapes: [[nil, 6]]), x), shape: [1, 6],
                          [-0.2, -0.05, 0, 0.5, 1, 3])
        expectWindowClose(try run(try layer("LeakyReLU", #"{"negative_slope": 0.2}"#, inputShapes: [[nil, 6]], version: "3.3.3"), x),
                          shape: [1, 6], [-0.4, -0.1, 0, 0.5, 1, 3])
    }

    @Test("ELU(alpha) and ThresholdedReLU(theta)")
    func eluAndThresholded() throws {
        let elu = try layer("ELU", #"{"alpha": 0.5}"#, inputShapes: [[nil, 6]])
        let e = Float(0.5) * (exp(Float(-2)) - 1), h = Float(0.5) * (exp(Float(-0.5)) - 1)
        expectWindowClose(try run(elu, x), shape: [1, 6], [e, h, 0, 0.5, 1, 3])
        let t = try layer("ThresholdedReLU", #"{"theta": 0.5}"#, inputShapes: [[nil, 6]])
        expectWindowClose(try run(t, x), shape: [1, 6], [0, 0, 0, 0, 1, 3])
        expectWindowClose(try run(try layer("ThresholdedReLU", inputShapes: [[nil, 6]]), x), shape: [1, 6], [0, 0, 0, 0, 0, 3])
    }

    @Test("PReLU with shared_axes: alpha (1, C) broadcast over the batch and axis 1")
    func preluSharedAxes() throws {
        let alpha = try Tensor(shape: [1, 3], scalars: [0.1, 0.2, 0.3])
        let l = try layer("PReLU", #"{"shared_axes": [1]}"#, inputShapes: [[nil, 2, 3]], weights: [alpha])
        #expect(l.parameterCounts == (3, 0))
        let x = try Tensor(shape: [1, 2, 3], scalars: [-1, -1, -1, 2, -2, 1])
        expectWindowClose(try run(l, x), shape: [1, 2, 3], [-0.1, -0.2, -0.3, 2, -0.4, 1])
        // Without sharing alpha has the full sample shape.
        let full = try layer("PReLU", inputShapes: [[nil, 2, 3]], weights: [Tensor(zeros: [2, 3])])
        #expect(full.weights[0].tensor.shape == [2, 3])
        #expect(throws: KerasError.self) { try layer("PReLU", inputShapes: [[nil, 2, 3]], weights: [Tensor(zeros: [1, 3])]) }
    }

    @Test("Softmax over axis 1 and over axes [1, 2]")
    func softmaxAxes() throws {
        let x = try Tensor(shape: [1, 2, 2], scalars: [0, log(3), 0, 0])
        // Axis 1 pairs (0, 0) and (ln 3, 0): [0.5, 0.75, 0.5, 0.25].
        expectWindowClose(try run(try layer("Softmax", #"{"axis": 1}"#, inputShapes: [[nil, 2, 2]]), x),
                          shape: [1, 2, 2], [0.5, 0.75, 0.5, 0.25])
        let y = try Tensor(shape: [1, 2, 2], scalars: [0, log(3), log(2), log(2)])
        // exp: 1, 3, 2, 2 over 8.
        expectWindowClose(try run(try layer("Softmax", #"{"axis": [1, 2]}"#, inputShapes: [[nil, 2, 2]]), y),
                          shape: [1, 2, 2], [0.125, 0.375, 0.25, 0.25])
        expectWindowClose(try run(try layer("Softmax", inputShapes: [[nil, 2, 2]]), x), shape: [1, 2, 2], [0.25, 0.75, 0.5, 0.5])
    }

    @Test("Softmax with a mask: −1e9 added to masked entries; Keras 3 also zeroes them")
    func softmaxMask() throws {
        let x = try Tensor(shape: [1, 3], scalars: [0, 0, 5])
        let mask = try Tensor(shape: [1, 3], scalars: [1, 1, 0])
        let k2 = try layer("Softmax", inputShapes: [[nil, 3]])
        let (y2, m2) = try k2.call([x], masks: [mask])
        expectWindowClose(y2[0], shape: [1, 3], [0.5, 0.5, 0])
        #expect(m2[0] == mask)
        let allMasked = try Tensor(shape: [1, 3], scalars: [0, 0, 0])
        // Keras 2: every entry shifted by −1e9; in float32 −1e9 + 5 rounds to −1e9, so all tie.
        let (yAll2, _) = try k2.call([x], masks: [allMasked])
        expectWindowClose(yAll2[0], shape: [1, 3], [1.0 / 3, 1.0 / 3, 1.0 / 3])
        let k3 = try layer("Softmax", inputShapes: [[nil, 3]], version: "3.5.0")
        let (yAll3, _) = try k3.call([x], masks: [allMasked])
        #expect(yAll3[0].scalars == [0, 0, 0])
    }

    @Test("relu activation strings keep their plain form; NaN propagates")
    func plainReLUActivation() {
        var t = Tensor([-1, 0, 2, .nan])
        Activation.plainReLU.apply(&t)
        #expect(t.scalars[0...2] == [0, 0, 2])
        #expect(t.scalars[3].isNaN)
    }
}
