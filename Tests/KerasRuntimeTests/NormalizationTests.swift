import Foundation
import Testing
@testable import KerasRuntime

private func layer(_ className: String, _ config: String = "{}", inputShapes: [Shape],
                   weights: [Tensor] = [], version: String = "2.15.0") throws -> any Layer {
    try makeLayer(className, try JSON(parsing: config).objectValue ?? [:], inputShapes: inputShapes,
                  weights: weights, version: version)
}

private func run(_ l: any Layer, _ x: Tensor) throws -> Tensor { try l.call([x])[0] }

@Suite("BatchNormalization, LayerNormalization, UnitNormalization")
struct NormalizationTests {
    @Test("BatchNormalization with chosen statistics: gamma·(x − mean)/sqrt(var + eps) + beta per channel")
    func batchNormLastAxis() throws {
        // Channel 0: gamma 2, beta 0.5, mean 1, var 4 → 2(x − 1)/2 + 0.5 = x − 0.5.
        // Channel 1: gamma 1, beta 0, mean −1, var 0.25 → (x + 1)/0.5 = 2x + 2.
        let w = [Tensor([2, 1]), Tensor([0.5, 0]), Tensor([1, -1]), Tensor([4, 0.25])]
        let bn = try layer("BatchNormalization", #"{"epsilon": 0}"#, inputShapes: [[nil, 3, 2]], weights: w)
        #expect(bn.parameterCounts == (4, 4))
        #expect(bn.weights.map(\.name) == ["gamma", "beta", "moving_mean", "moving_variance"])
        #expect(bn.maskBehavior == .passThrough)
        let x = try Tensor(shape: [1, 3, 2], scalars: [1, 0, 3, 1, -1, -2])
        expectWindowClose(try run(bn, x), shape: [1, 3, 2], [0.5, 2, 2.5, 4, -1.5, -2])
    }

    @Test("BatchNormalization axis=1 on a rank-3 input, epsilon added to the variance")
    func batchNormAxis1() throws {
        // Axis 1 has 2 entries: mean [0, 10], var [0.75, 3.75] + eps 0.25 → std [1, 2]; no gamma/beta.
        let w = [Tensor([0, 10]), Tensor([0.75, 3.75])]
        let bn = try layer("BatchNormalization", #"{"axis": 1, "epsilon": 0.25, "center": false, "scale": false}"#,
                           inputShapes: [[nil, 2, 3]], weights: w)
        #expect(bn.parameterCounts == (0, 4))
        let x = try Tensor(shape: [1, 2, 3], scalars: [1, 2, 3, 10, 12, 14])
        expectWindowClose(try run(bn, x), shape: [1, 2, 3], [1, 2, 3, 0, 1, 2])
    }

    @Test("BatchNormalization over axes [1, 2] stores (1, H, W) parameters; renorm adds three statistics")
    func batchNormAxesAndRenorm() throws {
        let shape = [1, 2, 2]
        let mean = try Tensor(shape: shape, scalars: [0, 1, 2, 3])
        let variance = try Tensor(shape: shape, scalars: [1, 1, 4, 4])
        let bn = try layer("BatchNormalization", #"{"axis": [1, 2], "epsilon": 0, "scale": false}"#, inputShapes: [[nil, 2, 2]],
                           weights: [Tensor(zeros: shape), mean, variance])
        let x = try Tensor(shape: [1, 2, 2], scalars: [1, 1, 4, 7])
        expectWindowClose(try run(bn, x), shape: [1, 2, 2], [1, 0, 1, 2])
        let renorm = try layer("BatchNormalization", #"{"renorm": true, "epsilon": 0}"#, inputShapes: [[nil, 1]],
                               weights: [Tensor([3]), Tensor([1]), Tensor([2]), Tensor([9]), Tensor([3]), Tensor([0]), Tensor([1])])
        #expect(renorm.parameterCounts == (2, 5))
        // Inference uses the moving statistics: 3(x − 2)/3 + 1.
        expectWindowClose(try run(renorm, try Tensor(shape: [1, 1], scalars: [5])), shape: [1, 1], [4])
    }

    @Test("BatchNormalization weight shapes are checked; virtual batches store a rank+1 shape")
    func batchNormShapes() throws {
        #expect(throws: KerasError.self) {
            try layer("BatchNormalization", inputShapes: [[nil, 3]], weights: Array(repeating: Tensor(zeros: [2]), count: 4))
        }
        let vb = try layer("BatchNormalization", #"{"virtual_batch_size": 2}"#, inputShapes: [[nil, 3]],
                           weights: Array(repeating: Tensor(zeros: [1, 1, 3]), count: 4))
        #expect(vb.parameterCounts == (6, 6))
        #expect(throws: KerasError.self) { try layer("BatchNormalization", #"{"axis": 3}"#, inputShapes: [[nil, 3]]) }
    }

    @Test("LayerNormalization over the last axis: mean, population variance, gamma and beta")
    func layerNormLast() throws {
        // Row [1, 2, 3, 4]: mean 2.5, var 1.25.
        let gamma = Tensor([1, 2, 1, 1]), beta = Tensor([0, 0, 0, 10])
        let ln = try layer("LayerNormalization", #"{"epsilon": 0}"#, inputShapes: [[nil, 4]], weights: [gamma, beta])
        #expect(ln.parameterCounts == (8, 0))
        let s = Float(1.25).squareRoot()
        let y = try run(ln, try Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]))
        expectWindowClose(y, shape: [1, 4], [-1.5 / s, 2 * -0.5 / s, 0.5 / s, 1.5 / s + 10])
    }

    @Test("LayerNormalization over axes [2, 1]: tf.keras shapes gamma in the listed order, Keras 3 sorted")
    func layerNormAxesOrder() throws {
        // Sample (2, 3) = [[0, 1, 2], [3, 4, 5]]: mean 2.5, var 35/12.
        let x = try Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let gamma = (1...6).map(Float.init)
        let k2 = try layer("LayerNormalization", #"{"axis": [2, 1], "epsilon": 0, "center": false}"#, inputShapes: [[nil, 2, 3]],
                           weights: [try Tensor(shape: [3, 2], scalars: gamma)])
        let k3 = try layer("LayerNormalization", #"{"axis": [2, 1], "epsilon": 0, "center": false}"#, inputShapes: [[nil, 2, 3]],
                           weights: [try Tensor(shape: [2, 3], scalars: gamma)], version: "3.4.1")
        let s = Float(35.0 / 12).squareRoot()
        // Either way gamma's elements multiply the input in row-major order.
        let expected = (0..<6).map { (Float($0) - 2.5) / s * gamma[$0] }
        expectWindowClose(try run(k2, x), shape: [1, 2, 3], expected)
        expectWindowClose(try run(k3, x), shape: [1, 2, 3], expected)
    }

    @Test("Keras 3 rms_scaling: x·rsqrt(var + eps)·gamma, no beta")
    func layerNormRMSScaling() throws {
        let ln = try layer("LayerNormalization", #"{"epsilon": 0, "rms_scaling": true}"#, inputShapes: [[nil, 2]],
                           weights: [Tensor([1, 3])], version: "3.5.0")
        #expect(ln.weights.map(\.name) == ["gamma"])
        // [1, 3]: var 1 → [1, 9].
        expectWindowClose(try run(ln, try Tensor(shape: [1, 2], scalars: [1, 3])), shape: [1, 2], [1, 9])
    }

    @Test("UnitNormalization divides by the L2 norm over the axes")
    func unitNormalization() throws {
        let un = try layer("UnitNormalization", inputShapes: [[nil, 2, 2]])
        let x = try Tensor(shape: [1, 2, 2], scalars: [3, 4, 0, 0])
        // Second row is all zeros: Keras 2 multiplies by rsqrt(max(0, 1e-12)), still zeros.
        expectWindowClose(try run(un, x), shape: [1, 2, 2], [0.6, 0.8, 0, 0])
        let both = try layer("UnitNormalization", #"{"axis": [1, 2]}"#, inputShapes: [[nil, 2, 2]])
        expectWindowClose(try run(both, try Tensor(shape: [1, 2, 2], scalars: [1, 1, 1, 1])), shape: [1, 2, 2], [0.5, 0.5, 0.5, 0.5])
    }
}
