/// A reference to one output tensor of one call of a layer: Keras' `[layer, node_index, tensor_index]`.
package struct TensorRef: Sendable, Hashable, CustomStringConvertible {
    package var layer: String
    package var node: Int
    package var tensor: Int

    package init(_ layer: String, _ node: Int = 0, _ tensor: Int = 0) {
        self.layer = layer
        self.node = node
        self.tensor = tensor
    }

    package var description: String { "\(layer)[\(node)][\(tensor)]" }

    var json: JSON { .array([.string(layer), .number(Double(node)), .number(Double(tensor))]) }

    /// Reads `[layer, node, tensor, ...]` (entries after the third, such as kwargs, are ignored).
    package init(json: JSON) throws {
        guard let a = json.arrayValue, a.count >= 3, let l = a[0].stringValue,
              let n = a[1].intValue, let t = a[2].intValue, n >= 0, t >= 0 else {
            throw KerasError(.format, "malformed tensor reference \(json.serialized.prefix(80))")
        }
        self.init(l, n, t)
    }
}

/// One layer of a graph: its class, name, config, and the inputs of each time it is called.
package struct LayerSpec: Sendable {
    package var className: String
    package var name: String
    /// The layer's config in kconv's canonical form (Keras 2 option names; nested models and
    /// wrapped layers in the same form).
    package var config: [String: JSON]
    /// One entry per call of the layer in this graph: the tensors it was called on.
    package var calls: [[TensorRef]]

    /// The config key marking a Keras 3 op node (a Python operator or `keras.ops` call recorded in
    /// the graph) with its module and class, e.g. `"keras.src.ops.numpy.Multiply"`.
    package static let operationKey = "keras_operation"

    package init(className: String, name: String, config: [String: JSON], calls: [[TensorRef]]) {
        self.className = className
        self.name = name
        self.config = config
        self.calls = calls
    }
}

/// A model's layer graph in kconv's canonical form, independent of the Keras release that wrote it.
///
/// Sequential models are stored as a chain whose first layer is an `InputLayer`; `isSequential`
/// keeps Keras' summary conventions (no InputLayer row).
package struct GraphSpec: Sendable {
    package var name: String
    package var isSequential: Bool
    package var layers: [LayerSpec]
    package var inputs: [TensorRef]
    package var outputs: [TensorRef]

    package init(name: String, isSequential: Bool, layers: [LayerSpec], inputs: [TensorRef], outputs: [TensorRef]) {
        self.name = name
        self.isSequential = isSequential
        self.layers = layers
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The canonical JSON form (what `.kconv` files store and nested-model configs hold).
    package var json: JSON {
        .object([
            "name": .string(name),
            "class_name": .string(isSequential ? "Sequential" : "Functional"),
            "layers": .array(layers.map { l in
                .object([
                    "class_name": .string(l.className),
                    "name": .string(l.name),
                    "config": .object(l.config),
                    "calls": .array(l.calls.map { .array($0.map(\.json)) }),
                ])
            }),
            "inputs": .array(inputs.map(\.json)),
            "outputs": .array(outputs.map(\.json)),
        ])
    }

    /// Reads the canonical JSON form.
    package init(json: JSON) throws {
        guard let layers = json["layers"]?.arrayValue, let inputs = json["inputs"]?.arrayValue,
              let outputs = json["outputs"]?.arrayValue else {
            throw KerasError(.format, "graph has no layers, inputs or outputs")
        }
        self.name = json["name"]?.stringValue ?? "model"
        self.isSequential = json["class_name"]?.stringValue == "Sequential"
        self.layers = try layers.map { l in
            guard let cls = l["class_name"]?.stringValue, let name = l["name"]?.stringValue,
                  let config = l["config"]?.objectValue, let calls = l["calls"]?.arrayValue else {
                throw KerasError(.format, "graph layer entry \(l.serialized.prefix(120)) is incomplete")
            }
            return LayerSpec(className: cls, name: name, config: config, calls: try calls.map { call in
                guard let refs = call.arrayValue else { throw KerasError(.format, "bad call list in layer '\(name)'") }
                return try refs.map(TensorRef.init(json:))
            })
        }
        self.inputs = try inputs.map(TensorRef.init(json:))
        self.outputs = try outputs.map(TensorRef.init(json:))
    }
}
