import KConvOps

/// Keras' activation names, with the formula of the Keras release that wrote the model.
extension Activation {
    /// Decodes an activation from a config value: a name, or a serialized function object.
    init(json: JSON, version: KerasVersion, context: LayerConfig) throws {
        var name: String?
        if let s = json.stringValue { name = s }
        if let obj = json.objectValue {
            // Keras 3 may write {"module": "keras.activations", "class_name": "function", "config": "relu"}.
            name = obj["config"]?.stringValue ?? obj["config"]?["name"]?.stringValue ?? obj["class_name"]?.stringValue
        }
        guard let name else { throw context.unsupported("activation \(json.serialized) is not a known activation") }
        guard let a = Activation(name: name, version: version) else {
            throw context.unsupported("activation '\(name)' is not supported")
        }
        self = a
    }

    /// The activation Keras registers under `name`, or nil. `hard_sigmoid` is `clip(0.2x + 0.5, 0, 1)`
    /// in Keras 1–2 and `clip(x/6 + 0.5, 0, 1)` in Keras 3.
    init?(name: String, version: KerasVersion) {
        switch name {
        case "linear", "None": self = .linear
        case "relu": self = .plainReLU
        case "tanh": self = .tanh
        case "sigmoid": self = .sigmoid
        case "hard_sigmoid": self = .hardSigmoid(scale: version.hardSigmoidIsKeras3 ? 1 / 6 : 0.2)
        case "softmax": self = .softmax
        case "elu": self = .elu(alpha: 1)
        case "selu": self = .selu
        case "softplus": self = .softplus
        case "softsign": self = .softsign
        case "swish", "silu": self = .swish
        case "gelu": self = .gelu(approximate: false)
        case "exponential": self = .exponential
        default: return nil
        }
    }

    /// Applies the activation to a whole tensor (softmax over its last axis).
    func apply(_ t: inout Tensor) {
        if self == .linear { return }
        let row = t.shape.last ?? 1
        t.scalars.withUnsafeMutableBufferPointer { apply($0, rowLength: max(row, 1)) }
    }
}
