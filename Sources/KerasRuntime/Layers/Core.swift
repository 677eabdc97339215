import KConvOps

/// Keras `InputLayer`: the entry of a model; it has no call, only a batch shape.
struct InputLayer: WeightlessLayer {
    let name: String
    var className: String { "InputLayer" }
    /// `batch_input_shape`, batch first.
    let batchShape: Shape
    /// The input's type: Keras casts what it is given to it (integers toward zero).
    let dtype: LogicalDtype

    init(config: LayerConfig) throws {
        name = config.name
        guard let shape = try config.shape("batch_input_shape"), !shape.isEmpty else {
            throw KerasError(.format, "input layer '\(name)' has no batch_input_shape")
        }
        guard shape.allSatisfy({ ($0 ?? 0) >= 0 }) else {
            throw KerasError(.format, "input layer '\(name)' has an invalid shape \(shape.kerasDescription)")
        }
        batchShape = shape
        dtype = LogicalDtype(keras: config["dtype"]) ?? .float32
    }

    func outputShape(for inputShape: Shape) throws -> Shape { batchShape }
    func callAsFunction(_ input: Tensor) throws -> Tensor { input }
}

/// Keras `Dense`: `y = activation(x·W + b)` over the last axis of an input of any rank.
///
/// `kernel` is `(input_dim, units)`, `bias` is `(units)`.
struct Dense: UnaryLayer {
    let name: String
    var isSampleWise: Bool { true }
    var className: String { "Dense" }
    let units: Int
    let activation: Activation
    let useBias: Bool
    var maskBehavior: MaskBehavior { .passThrough }
    private(set) var kernel = Tensor(zeros: [0, 0])
    private(set) var bias: Tensor?
    /// `kernel` packed once for the matrix kernels.
    private var packedKernel = PackedMatrix([], rows: 0, columns: 0)

    init(config: LayerConfig) throws {
        name = config.name
        units = try config.int("units")
        guard units > 0 else { throw config.unsupported("units must be positive, got \(units)") }
        activation = try config.activation()
        useBias = try config.bool("use_bias", default: true)
    }

    var weights: [Weight] {
        [Weight("kernel", kernel)] + (bias.map { [Weight("bias", $0)] } ?? [])
    }

    mutating func build(inputShape: Shape, weights: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], minRank: 2)
        let inputDim = try check.known(s.last!, "last")
        kernel = try weights.take("kernel", shape: [inputDim, units])
        packedKernel = PackedMatrix(kernel.scalars, rows: inputDim, columns: units)
        bias = useBias ? try weights.take("bias", shape: [units]) : nil
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        guard inputShape.count >= 2 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank ≥ 2, got \(inputShape.kerasDescription)")
        }
        if let d = inputShape.last!, d != kernel.shape[0] {
            throw KerasError(.shape, "layer '\(name)' expects last dimension \(kernel.shape[0]), got \(inputShape.kerasDescription)")
        }
        return Array(inputShape.dropLast()) + [units]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let inputDim = kernel.shape[0]
        guard x.rank >= 2, x.shape.last == inputDim else {
            throw KerasError(.shape, "layer '\(name)' expects last dimension \(inputDim), got shape \(x.shape)")
        }
        let rows = x.count / max(inputDim, 1)
        var y = Tensor(uncheckedShape: Array(x.shape.dropLast()) + [units],
                       scalars: GEMM.multiply(x.scalars, packedKernel, m: rows, bias: bias?.scalars))
        activation.apply(&y)
        return y
    }
}

/// Keras `Activation`: applies an activation function.
struct ActivationLayer: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
    var className: String { "Activation" }
    let activation: Activation
    var maskBehavior: MaskBehavior { .passThrough }

    init(config: LayerConfig) throws {
        name = config.name
        activation = try config.activation()
    }

    func outputShape(for inputShape: Shape) throws -> Shape { inputShape }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = x
        activation.apply(&y)
        return y
    }
}

/// Keras `Dropout`, `Identity` and the other layers that are identities at inference:
/// `SpatialDropout1D/2D/3D`, `GaussianNoise`, `GaussianDropout`, `AlphaDropout`,
/// `ActivityRegularization`. Any shape; the output is the input. The mask passes through (all of
/// them set `supports_masking`), except through tf.keras' `Identity`.
struct IdentityLayer: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
    let className: String
    let maskBehavior: MaskBehavior

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        maskBehavior = className != "Identity" || config.version.utilityLayersPassMasks ? .passThrough : .drop
    }

    func outputShape(for inputShape: Shape) throws -> Shape { inputShape }
    func callAsFunction(_ x: Tensor) throws -> Tensor { x }
}

/// Keras `Rescaling`: `y = x · scale + offset`, each a number or (Keras 3) a list applied along
/// the last axis. Any shape; masks pass on in Keras 3 only (`KerasVersion.utilityLayersPassMasks`).
struct Rescaling: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
    var className: String { "Rescaling" }
    let scale: [Float]
    let offset: [Float]
    let maskBehavior: MaskBehavior

    init(config: LayerConfig) throws {
        name = config.name
        func values(_ key: String, default fallback: Float) throws -> [Float] {
            guard let v = config[key], v != .null else { return [fallback] }
            if let d = v.doubleValue { return [Float(d)] }
            guard let a = v.arrayValue, !a.isEmpty else { throw config.invalid(key, "a number or a list of numbers") }
            return try a.map { guard let d = $0.doubleValue else { throw config.invalid(key, "a number or a list of numbers") }; return Float(d) }
        }
        scale = try values("scale", default: 1)
        offset = try values("offset", default: 0)
        maskBehavior = config.version.utilityLayersPassMasks ? .passThrough : .drop
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        for v in [scale, offset] where v.count > 1 && inputShape.last != v.count {
            throw KerasError(.shape, "layer '\(name)': \(v.count) scale or offset values for an input \(inputShape.kerasDescription)")
        }
        return inputShape
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let c = x.shape.last ?? 1
        for v in [scale, offset] where v.count > 1 && v.count != c {
            throw KerasError(.shape, "layer '\(name)': \(v.count) scale or offset values for an input of shape \(x.shape)")
        }
        return Tensor(uncheckedShape: x.shape, scalars: Elementwise.scaledAndShifted(x.scalars, channels: c, scale: scale, offset: offset))
    }
}
