import Foundation
import KConvOps

/// Keras' advanced activation layers: `ReLU`, `LeakyReLU`, `ELU`, `ThresholdedReLU`.
///
/// Elementwise on inputs of any shape; the mask passes through. Options, as Keras casts them to float32:
/// - `ReLU(max_value=None, negative_slope=0, threshold=0)`: `x` where `x > threshold` (else 0),
///   clipped to `[0, max_value]`, minus `negative_slope·relu(threshold − x)` (Keras' `backend.relu`).
/// - `LeakyReLU`: `x > 0 ? x : slope·x`; the slope is `alpha` (Keras 2, default 0.3) or
///   `negative_slope` (Keras 3, default 0.3).
/// - `ELU(alpha=1)`: `x > 0 ? x : alpha·expm1(x)`.
/// - `ThresholdedReLU(theta=1)`: `x > theta ? x : 0·x` (Keras 2 only).
struct ActivationFunctionLayer: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
    let className: String
    let activation: Activation
    /// ThresholdedReLU's `theta`, when this is one.
    let theta: Float?
    var maskBehavior: MaskBehavior { .passThrough }

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        theta = nil
        switch config.className {
        case "ReLU":
            let maxValue = try config.optionalDouble("max_value").map { Float($0) }
            let slope = Float(try config.double("negative_slope", default: 0))
            let threshold = Float(try config.double("threshold", default: 0))
            if let maxValue, maxValue < 0 { throw config.unsupported("max_value \(maxValue) is negative") }
            activation = .relu(maxValue: maxValue, negativeSlope: slope, threshold: threshold)
        case "LeakyReLU":
            let slope = try config.optionalDouble("negative_slope") ?? config.optionalDouble("alpha") ?? 0.3
            activation = .relu(maxValue: nil, negativeSlope: Float(slope), threshold: 0)
        case "ELU":
            activation = .elu(alpha: Float(try config.double("alpha", default: 1)))
        default:
            throw config.unsupported("is not an activation layer")
        }
    }

    /// A `ThresholdedReLU`.
    init(thresholdedReLU config: LayerConfig) throws {
        name = config.name
        className = config.className
        activation = .linear
        theta = Float(try config.double("theta", default: 1))
    }

    func outputShape(for inputShape: Shape) throws -> Shape { inputShape }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = x
        if let theta {
            Elementwise.thresholded(&y.scalars, theta: theta)
        } else {
            activation.apply(&y)
        }
        return y
    }
}

/// Keras `PReLU`: `relu(x) − alpha·relu(−x)` with a learned `alpha`.
///
/// `alpha` has the input's sample shape with 1 in each of `shared_axes` (1-based, batch excluded):
/// input `(batch, H, W, C)` with `shared_axes=[1, 2]` → `alpha (1, 1, C)`. It is broadcast over
/// the batch and the shared axes. One trainable weight; the mask passes through.
struct PReLU: UnaryLayer {
    let name: String
    var isSampleWise: Bool { true }
    var className: String { "PReLU" }
    let sharedAxes: [Int]
    var maskBehavior: MaskBehavior { .passThrough }
    private(set) var alpha = Tensor(zeros: [0])

    init(config: LayerConfig) throws {
        name = config.name
        sharedAxes = try config.intList("shared_axes") ?? []
    }

    var weights: [Weight] { [Weight("alpha", alpha)] }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], minRank: 2)
        var paramShape: [Int?] = s.sampleShape
        for a in sharedAxes {
            guard a >= 1, a < s.count else { throw KerasError(.shape, "layer '\(name)': shared axis \(a) is out of range for \(s.kerasDescription)") }
            paramShape[a - 1] = 1
        }
        alpha = try reader.take("alpha", shape: try paramShape.enumerated().map { try check.known($1, "axis \($0 + 1)") })
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        try ShapeCheck(layer: name).single([inputShape], minRank: 2)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == alpha.rank + 1 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(alpha.rank + 1), got shape \(x.shape)")
        }
        let a = try Broadcast.apply(x, Tensor(uncheckedShape: [1] + alpha.shape, scalars: alpha.scalars), layer: name,
                                    Elementwise.parametricReLU)
        guard a.shape == x.shape else {
            throw KerasError(.shape, "layer '\(name)': alpha \(alpha.shape) does not fit the input shape \(x.shape)")
        }
        return a
    }
}

/// Keras `Softmax` layer over `axis` (an integer, or a list of integers; default -1).
///
/// One axis: `exp(x − max) / sum`. Several axes: `exp(x − logsumexp(x, axes))`, as Keras writes it.
/// A mask arriving with the input (broadcast numpy-style against it) adds `−1e9` to the masked
/// entries first (`robust_masking=True`: replaces them by `−1e9`); Keras 3 then multiplies the
/// output by the mask. The mask passes through.
struct SoftmaxLayer: Layer {
    let name: String
    var className: String { "Softmax" }
    let axes: [Int]
    let robustMasking, zeroesMasked: Bool
    var weights: [Weight] { [] }

    init(config: LayerConfig) throws {
        name = config.name
        axes = try config.intList("axis") ?? [-1]
        guard !axes.isEmpty else { throw config.unsupported("axis is an empty list") }
        robustMasking = try config.bool("robust_masking", default: false)
        zeroesMasked = config.version.major >= 3
    }

    mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws {
        _ = try outputShapes(for: inputShapes)
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        let s = try ShapeCheck(layer: name).single(inputShapes, minRank: 1)
        for a in axes { _ = try resolvedAxis(a, rank: s.count, layer: name) }
        return [s]
    }

    /// Softmax of `x` over the layer's axes.
    func softmax(_ x: Tensor) throws -> Tensor {
        let reduced = Set(try axes.map { try resolvedAxis($0, rank: x.rank, layer: name) })
        var y = x.scalars
        if reduced == [x.rank - 1], let row = x.shape.last, row > 0 {
            Softmax.rows(&y, length: row)
            return Tensor(uncheckedShape: x.shape, scalars: y)
        }
        Softmax.grouped(&y, groups: AxisReduction(shape: x.shape, reduced: reduced), logSumExp: axes.count > 1)
        return Tensor(uncheckedShape: x.shape, scalars: y)
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 1 else { throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, got \(inputs.count)") }
        return [try softmax(inputs[0])]
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        guard inputs.count == 1 else { throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, got \(inputs.count)") }
        guard let mask = masks.first ?? nil else { return ([try softmax(inputs[0])], [nil]) }
        let large: Float = -1e9
        let shifted = try Broadcast.apply(inputs[0], mask, layer: name) { v, m in
            Softmax.maskedScore(v, m, offset: large, replace: robustMasking)
        }
        guard shifted.shape == inputs[0].shape else {
            throw KerasError(.shape, "layer '\(name)': the mask \(mask.shape) does not fit the input \(inputs[0].shape)")
        }
        var y = try softmax(shifted)
        if zeroesMasked { y = try Broadcast.apply(y, mask, layer: name, *) }
        return ([y], [mask])
    }
}
