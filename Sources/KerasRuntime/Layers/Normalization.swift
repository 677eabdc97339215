import Foundation
import KConvOps

/// Reads an `axis` option that may be an integer or a non-empty list of integers.
private func axisList(_ config: LayerConfig, default fallback: Int) throws -> [Int] {
    guard let axes = try config.intList("axis") else { return [fallback] }
    guard !axes.isEmpty else { throw config.unsupported("axis is an empty list") }
    return axes
}

/// Resolves axes against a rank (negative count from the end); rejects the batch axis and repeats.
private func resolvedAxes(_ axes: [Int], rank: Int, layer: String) throws -> [Int] {
    let resolved = try axes.map { try resolvedAxis($0, rank: rank, layer: layer) }
    guard !resolved.contains(0), Set(resolved).count == resolved.count else {
        throw KerasError(.shape, "layer '\(layer)': axis \(axes) is invalid for an input of rank \(rank)")
    }
    return resolved
}

/// A layer that normalises over, or per index along, its `axes` and keeps the input's shape.
protocol AxisNormalizing: UnaryLayer {
    var axes: [Int] { get }
}

extension AxisNormalizing {
    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], minRank: 2)
        _ = try resolvedAxes(axes, rank: s.count, layer: name)
        return s
    }
}

/// Keras `BatchNormalization` at inference, over any axis or list of axes (default -1).
///
/// `y = gamma · (x − moving_mean) / sqrt(moving_variance + epsilon) + beta`, computed as TensorFlow
/// does: `inv = gamma · rsqrt(var + eps)`, `y = x·inv + (beta − mean·inv)`. Weights, in Keras'
/// order: `gamma` (unless `scale=False`), `beta` (unless `center=False`) — trainable — then
/// `moving_mean`, `moving_variance` and, with `renorm=True`, `moving_stddev`, `renorm_mean`,
/// `renorm_stddev` — non-trainable, unused at inference. Each is `(C)` for a single axis of size
/// `C`; for several axes (or `virtual_batch_size`) tf.keras stores the input's rank with 1 in every
/// other axis (`(1, H, 1, C)`, and an extra leading 1 with virtual batches).
///
/// Epsilon is used as stored. Older TensorFlow releases raised it to 1.001e-5 inside the fused
/// kernel that tf.keras uses for 4-D/5-D inputs normalised over the channel axis
/// (`tf.compat.v1.nn.fused_batch_norm`, tensorflow#37768); TensorFlow 2.21 no longer does, Keras 3
/// never did, and the `batchnorm` conformance case (epsilon 1e-6, variances 2e-6, fused and
/// unfused layers) confirms that tf_keras 2.21 applies the stored value.
struct BatchNormalization: AxisNormalizing {
    let name: String
    var isSampleWise: Bool { true }
    var className: String { "BatchNormalization" }
    let axes: [Int]
    let epsilon: Double
    let center, scale, renorm: Bool
    let virtualBatchSize: Int?
    var maskBehavior: MaskBehavior { .passThrough }

    private(set) var weights: [Weight] = []
    /// Per parameter index (row-major over the normalised axes): the multiplier and the offset.
    private var multiplier: [Float] = [], offset: [Float] = []
    /// The resolved axes (set by `build`).
    private var resolved: [Int] = []

    init(config: LayerConfig) throws {
        name = config.name
        axes = try axisList(config, default: -1)
        epsilon = try config.double("epsilon", default: 1e-3)
        center = try config.bool("center", default: true)
        scale = try config.bool("scale", default: true)
        renorm = try config.bool("renorm", default: false)
        virtualBatchSize = config["virtual_batch_size"]?.intValue
        if let mode = config["mode"]?.intValue, mode != 0 {
            throw config.unsupported("mode=\(mode) (statistics of the batch at inference) is not supported")
        }
        guard epsilon >= 0 else { throw config.unsupported("epsilon \(epsilon) is negative") }
    }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], minRank: 2)
        resolved = try resolvedAxes(axes, rank: s.count, layer: name).sorted()
        let dims = try resolved.map { try check.known(s[$0], "axis \($0)") }
        var paramShape = dims
        if resolved.count > 1 || virtualBatchSize != nil {
            paramShape = (0..<s.count).map { d in resolved.firstIndex(of: d).map { dims[$0] } ?? 1 }
            if virtualBatchSize != nil { paramShape.insert(1, at: 1) }
        }
        var stored: [Weight] = []
        let gamma = scale ? try reader.take("gamma", shape: paramShape) : nil
        if let gamma { stored.append(Weight("gamma", gamma)) }
        let beta = center ? try reader.take("beta", shape: paramShape) : nil
        if let beta { stored.append(Weight("beta", beta)) }
        let mean = try reader.take("moving_mean", shape: paramShape)
        let variance = try reader.take("moving_variance", shape: paramShape)
        stored += [Weight("moving_mean", mean, trainable: false), Weight("moving_variance", variance, trainable: false)]
        if renorm {
            for role in ["moving_stddev", "renorm_mean", "renorm_stddev"] {
                stored.append(Weight(role, try reader.take(role, shape: paramShape), trainable: false))
            }
        }
        weights = stored
        (multiplier, offset) = Normalization.foldedAffine(gamma: gamma?.scalars, beta: beta?.scalars, mean: mean.scalars,
                                                          variance: variance.scalars, epsilon: Float(epsilon))
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let axesNow = try resolvedAxes(axes, rank: x.rank, layer: name).sorted()
        guard axesNow == resolved, axesNow.map({ x.shape[$0] }).reduce(1, *) == multiplier.count else {
            throw KerasError(.shape, "layer '\(name)' was built for another input shape than \(x.shape)")
        }
        return Tensor(uncheckedShape: x.shape, scalars: Normalization.affine(x.scalars, shape: x.shape, kept: resolved,
                                                                          multiplier: multiplier, offset: offset))
    }
}

/// Keras `LayerNormalization`: per sample, over `axis` (an integer or a list, default -1).
///
/// `mean` and population `var` over the normalised axes; `inv = rsqrt(var + eps)·gamma`,
/// `y = x·inv + (beta − mean·inv)`. Weights `gamma` (if `scale`), `beta` (if `center`), both
/// trainable and shaped like the normalised dimensions (`(C)` for the default axis); their elements
/// are read in increasing axis order. Keras 3's `rms_scaling=True` keeps only `gamma` and computes
/// `x · rsqrt(var + eps) · gamma` (Keras' definition: the variance, not the mean square).
/// `epsilon` defaults to 1e-3.
struct LayerNormalization: AxisNormalizing {
    let name: String
    var isSampleWise: Bool { true }
    var className: String { "LayerNormalization" }
    let axes: [Int]
    let epsilon: Float
    let center, scale: Bool
    let rmsScaling: Bool
    /// Keras 3 shapes the weights for the sorted axes, tf.keras in the order listed.
    let sortsAxes: Bool
    var maskBehavior: MaskBehavior { .passThrough }

    private(set) var gamma: Tensor?
    private(set) var beta: Tensor?

    init(config: LayerConfig) throws {
        name = config.name
        axes = try axisList(config, default: -1)
        epsilon = Float(try config.double("epsilon", default: 1e-3))
        rmsScaling = try config.bool("rms_scaling", default: false)
        sortsAxes = config.version.major >= 3
        center = try config.bool("center", default: true) && !rmsScaling
        scale = try config.bool("scale", default: true) || rmsScaling
    }

    var weights: [Weight] {
        (gamma.map { [Weight("gamma", $0)] } ?? []) + (beta.map { [Weight("beta", $0)] } ?? [])
    }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], minRank: 2)
        // tf.keras shapes the weights in the order the axes are listed, Keras 3 sorts them; the
        // elements are the same either way (tf.keras reshapes them to the sorted broadcast shape).
        let listed = try resolvedAxes(axes, rank: s.count, layer: name)
        let paramShape = try (sortsAxes ? listed.sorted() : listed).map { try check.known(s[$0], "axis \($0)") }
        gamma = scale ? try reader.take("gamma", shape: paramShape) : nil
        beta = center ? try reader.take("beta", shape: paramShape) : nil
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let reduced = Set(try resolvedAxes(axes, rank: x.rank, layer: name))
        let size = reduced.reduce(1) { $0 * x.shape[$1] }
        if let g = gamma, g.count != size { throw KerasError(.shape, "layer '\(name)' was built for another input shape than \(x.shape)") }
        return Tensor(uncheckedShape: x.shape, scalars: Normalization.layerNormalized(
            x.scalars, shape: x.shape, reduced: reduced, epsilon: epsilon, gamma: gamma?.scalars, beta: beta?.scalars,
            rmsScaling: rmsScaling))
    }
}

/// Keras `UnitNormalization`: scales each sample to unit L2 norm over `axis` (integer or list, default -1).
///
/// `y = x · min(rsqrt(sum(x²)), cap)`: tf.keras' `l2_normalize` uses `rsqrt(max(sum, 1e-12))`
/// (cap 1e6), Keras 3's `normalize(epsilon=1e-12)` caps the inverse norm at 1e12. No weights.
struct UnitNormalization: WeightlessLayer, AxisNormalizing {
    let name: String
    var isSampleWise: Bool { true }
    var className: String { "UnitNormalization" }
    let axes: [Int]
    let inverseNormCap: Float
    var maskBehavior: MaskBehavior { .passThrough }

    init(config: LayerConfig) throws {
        name = config.name
        axes = try axisList(config, default: -1)
        inverseNormCap = config.version.major >= 3 ? 1e12 : 1e6
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let reduced = Set(try resolvedAxes(axes, rank: x.rank, layer: name))
        return Tensor(uncheckedShape: x.shape, scalars: Normalization.unitNormalized(
            x.scalars, shape: x.shape, reduced: reduced, inverseNormCap: inverseNormCap))
    }
}

/// Keras' preprocessing `Normalization`: `y = (x − mean) / max(sqrt(variance), 1e-7)`, or with
/// `invert=True` `y = mean + x · max(sqrt(variance), 1e-7)`, per index along the kept `axis`
/// (an integer, a list, or null for one mean over everything; default -1).
///
/// `mean` and `variance` come from the config when they were given to the constructor (a number,
/// or values for the kept axes), else from the weights `mean`, `variance` and `count` (an int64
/// of shape `()`), all non-trainable, `mean`/`variance` shaped like the kept dimensions. Masks pass on in Keras 3
/// only (`KerasVersion.utilityLayersPassMasks`).
struct FeatureNormalization: AxisNormalizing {
    let name: String
    var isSampleWise: Bool { true }
    var className: String { "Normalization" }
    /// The kept axes as configured (empty: one mean and variance for all).
    let axes: [Int]
    let invert: Bool
    let maskBehavior: MaskBehavior
    /// The constructor's mean and variance from the config, when given.
    let configMean: [Float]?, configVariance: [Float]?

    private(set) var weights: [Weight] = []
    private var mean: [Float] = []
    /// `max(sqrt(variance), 1e-7)`.
    private var scale: [Float] = []
    private var kept: [Int] = []

    init(config: LayerConfig) throws {
        name = config.name
        // `axis=None` is stored as null (or an empty list by tf.keras): nothing is kept.
        if config["axis"] == .null || config["axis"]?.arrayValue?.isEmpty == true {
            axes = []
        } else {
            axes = try axisList(config, default: -1)
        }
        invert = try config.bool("invert", default: false)
        maskBehavior = config.version.utilityLayersPassMasks ? .passThrough : .drop
        func numbers(_ key: String) throws -> [Float]? {
            guard let v = config[key], v != .null else { return nil }
            var out: [Float] = []
            func flatten(_ j: JSON) throws {
                if let d = j.doubleValue { out.append(Float(d)); return }
                guard let a = j.arrayValue else { throw config.invalid(key, "a number or a list of numbers") }
                try a.forEach(flatten)
            }
            try flatten(v)
            return out
        }
        configMean = try numbers("mean")
        configVariance = try numbers("variance")
        guard (configMean == nil) == (configVariance == nil) else {
            throw config.unsupported("gives only one of mean and variance")
        }
    }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], minRank: 2)
        kept = try resolvedAxes(axes, rank: s.count, layer: name).sorted()
        let dims = try kept.map { try check.known(s[$0], "axis \($0)") }
        let count = dims.reduce(1, *)
        let variance: [Float]
        if let configMean, let configVariance {
            func broadcast(_ v: [Float], _ key: String) throws -> [Float] {
                if v.count == 1 { return Array(repeating: v[0], count: count) }
                guard v.count == count else {
                    throw KerasError(.shape, "layer '\(name)': \(v.count) \(key) values for the kept dimensions \(dims)")
                }
                return v
            }
            mean = try broadcast(configMean, "mean")
            variance = try broadcast(configVariance, "variance")
            weights = []
        } else {
            let m = try reader.take("mean", shape: dims)
            let v = try reader.take("variance", shape: dims)
            let n = try reader.take("count", shape: [])
            weights = [Weight("mean", m, trainable: false), Weight("variance", v, trainable: false),
                       Weight("count", n, trainable: false, bytesPerElement: 8)]
            mean = m.scalars
            variance = v.scalars
        }
        scale = Normalization.standardDeviations(variance)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard try resolvedAxes(axes, rank: x.rank, layer: name).sorted() == kept,
              kept.map({ x.shape[$0] }).reduce(1, *) == mean.count else {
            throw KerasError(.shape, "layer '\(name)' was built for another input shape than \(x.shape)")
        }
        return Tensor(uncheckedShape: x.shape, scalars: Normalization.standardized(
            x.scalars, shape: x.shape, kept: kept, mean: mean, scale: scale, invert: invert))
    }
}
