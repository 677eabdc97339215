import KerasRuntime

/// Turns a Keras model config (`model_config`, `to_json()`, Keras 3 `config.json`) of any Keras
/// generation into kconv's canonical `GraphSpec`.
///
/// Handles Sequential configs as a bare list (Keras ≤ 2.2.2) or a dict, with or without an
/// InputLayer; Functional configs (`Model`/`Functional`) with Keras 1/2 inbound-node lists or
/// Keras 3 `args/kwargs` records; nested models (whose node indices start at 1) and shared layers.
struct ConfigDecoder {
    let version: KerasVersion

    static let modelClasses: Set<String> = ["Sequential", "Model", "Functional"]

    /// Decodes a whole-model config `{"class_name": ..., "config": ...}`.
    func decodeModel(_ json: JSON) throws -> GraphSpec {
        guard let cls = json["class_name"]?.stringValue, let config = json["config"] else {
            throw KerasError(.format, "the model config has no class_name/config")
        }
        return try decodeModel(className: cls, config: config)
    }

    func decodeModel(className: String, config: JSON) throws -> GraphSpec {
        switch className {
        case "Sequential": return try decodeSequential(config)
        case "Model", "Functional": return try decodeFunctional(config)
        default:
            throw KerasError(.unsupported, "the model is a \(className); kconv reads Sequential and Functional models (custom model classes cannot be rebuilt from the file)")
        }
    }

    // MARK: Sequential

    private func decodeSequential(_ config: JSON) throws -> GraphSpec {
        let layerList: [JSON]
        var name = "sequential"
        if let list = config.arrayValue {
            layerList = list
        } else if let list = config["layers"]?.arrayValue {
            layerList = list
            name = config["name"]?.stringValue ?? name
        } else {
            throw KerasError(.format, "the Sequential config has no layers")
        }
        var entries = try layerList.map { try layerEntry($0) }
        guard !entries.isEmpty else { throw KerasError(.format, "the Sequential model '\(name)' has no layers") }

        var layers: [LayerSpec] = []
        var previous: TensorRef?
        if entries[0].className == "InputLayer" {
            entries[0].config = normalizedInput(entries[0].config)
        } else {
            guard let batchShape = try inputShape(of: entries[0].config) ?? buildInputShape(config) else {
                throw KerasError(.format, "the Sequential model '\(name)' records no input shape (it was never built), so its layers' shapes are unknown")
            }
            let inputName = "\(entries[0].name)_input"
            layers.append(LayerSpec(className: "InputLayer", name: inputName,
                                    config: ["batch_input_shape": batchShape, "name": .string(inputName)], calls: []))
            previous = TensorRef(inputName)
        }
        for e in entries {
            let isInput = e.className == "InputLayer"
            layers.append(LayerSpec(className: e.className, name: e.name, config: e.config,
                                    calls: isInput ? [] : previous.map { [[$0]] } ?? []))
            previous = TensorRef(e.name)
        }
        guard let first = layers.first, let last = layers.last else {
            throw KerasError(.format, "the Sequential model '\(name)' has no layers")
        }
        return GraphSpec(name: name, isSequential: true, layers: layers,
                         inputs: [TensorRef(first.name)], outputs: [TensorRef(last.name)])
    }

    /// `batch_input_shape` / `batch_shape` / `input_shape` / Keras 1 `input_dim` of a first layer.
    private func inputShape(of config: [String: JSON]) throws -> JSON? {
        if let s = config["batch_input_shape"], s != .null { return s }
        if let s = config["batch_shape"], s != .null { return s }
        if let s = config["input_shape"]?.arrayValue { return .array([.null] + s) }
        if let d = config["input_dim"], d != .null {
            if let len = config["input_length"], len != .null { return .array([.null, len, d]) }
            return .array([.null, d])
        }
        return nil
    }

    private func buildInputShape(_ config: JSON) -> JSON? {
        guard let s = config["build_input_shape"], s != .null else { return nil }
        // Keras 3 may nest the shape in a one-element list or a dict.
        if let a = s.arrayValue, a.count == 1, a[0].arrayValue != nil { return a[0] }
        return s
    }

    private func normalizedInput(_ config: [String: JSON]) -> [String: JSON] {
        var c = config
        if c["batch_input_shape"] == nil || c["batch_input_shape"] == .null, let s = c["batch_shape"] {
            c["batch_input_shape"] = s
        }
        return c
    }

    // MARK: Functional

    private func decodeFunctional(_ config: JSON) throws -> GraphSpec {
        guard let list = config["layers"]?.arrayValue else {
            throw KerasError(.format, "the Functional config has no layers")
        }
        let name = config["name"]?.stringValue ?? "model"
        var entries: [(entry: LayerEntry, rawNodes: JSON?)] = []
        var operations: Set<String> = []
        for item in list {
            var e = try layerEntry(item)
            if let n = item["name"]?.stringValue { e.name = n }
            if e.className == "InputLayer" { e.config = normalizedInput(e.config) }
            if e.config[LayerSpec.operationKey] != nil { operations.insert(e.name) }
            entries.append((e, item["inbound_nodes"]))
        }
        let firstNode = nestedFirstNodes(entries, config: config)
        func canonical(_ ref: TensorRef) throws -> TensorRef {
            guard let first = firstNode[ref.layer] else { return ref }
            guard ref.node >= first else { throw KerasError(.format, "reference \(ref) to nested model '\(ref.layer)' has node index \(ref.node), below its first call's \(first)") }
            return TensorRef(ref.layer, ref.node - first, ref.tensor)
        }
        var tensorDtypes: [String: LogicalDtype] = [:]
        var layers = try entries.map { e, nodes -> LayerSpec in
            if e.className == "InputLayer" { tensorDtypes[e.name] = LogicalDtype(keras: e.config["dtype"]) ?? .float32 }
            if ConfigDecoder.isOperation(e) {
                let op = try operationLayer(e, nodes: nodes, tensorDtypes: tensorDtypes)
                tensorDtypes[e.name] = op.resultDtype
                return LayerSpec(className: e.className, name: e.name, config: op.config, calls: try op.calls.map { try $0.map(canonical) })
            }
            let decoded = try inboundCalls(nodes, layer: e.name)
            let calls = try decoded.map { try $0.refs.map(canonical) }
            var config = e.config
            if decoded.contains(where: { !$0.kwargs.isEmpty }) {
                config["call_kwargs"] = .array(decoded.map { .object($0.kwargs) })
            }
            return LayerSpec(className: e.className, name: e.name, config: config, calls: e.className == "InputLayer" ? [] : calls)
        }
        let inputs = try refList(config["input_layers"], what: "input_layers").map(canonical)
        let outputs = try refList(config["output_layers"], what: "output_layers").map(canonical)
        if !operations.isEmpty {
            layers = try droppingRecordedMasks(layers, operations: operations, outputs: outputs)
        }
        return GraphSpec(name: name, isSequential: false, layers: layers, inputs: inputs, outputs: outputs)
    }

    /// Keras 3 traces the masks of a Functional model (`compute_mask` of Masking, Embedding, merge
    /// layers...) with `keras.ops` and records those operations as graph nodes that feed `mask=`
    /// call arguments. kconv propagates masks by the same rules itself, so these records are
    /// dropped, with the operations left unused. A `mask=` argument computed by anything other than
    /// recorded operations (a model input, a layer) is refused: kconv does not take explicit masks.
    private func droppingRecordedMasks(_ layers: [LayerSpec], operations: Set<String>, outputs: [TensorRef]) throws -> [LayerSpec] {
        var layers = layers
        for i in layers.indices {
            guard var kwargs = layers[i].config["call_kwargs"]?.arrayValue else { continue }
            for c in kwargs.indices where c < layers[i].calls.count {
                guard var options = kwargs[c].objectValue,
                      let positions = options["mask"]?["inputs"]?.arrayValue?.compactMap(\.intValue) else { continue }
                let refs = layers[i].calls[c]
                let dropped = Set(positions.filter { refs.indices.contains($0) })
                if let explicit = dropped.map({ refs[$0] }).first(where: { !operations.contains($0.layer) }) {
                    throw KerasError(.unsupported, "layer '\(layers[i].name)' is called with an explicit mask (from '\(explicit.layer)'); kconv only propagates the masks of Masking and Embedding layers")
                }
                // The other tensor arguments' positions, renumbered past the dropped ones.
                let kept = refs.indices.filter { !dropped.contains($0) }
                let newPosition = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
                options["mask"] = nil
                for (key, value) in options {
                    guard let old = value["inputs"]?.arrayValue?.compactMap(\.intValue) else { continue }
                    options[key] = .object(["inputs": .array(old.compactMap { newPosition[$0] }.map { .number(Double($0)) })])
                }
                layers[i].calls[c] = kept.map { refs[$0] }
                kwargs[c] = .object(options)
            }
            layers[i].config["call_kwargs"] = kwargs.allSatisfy({ $0.objectValue?.isEmpty ?? false }) ? nil : .array(kwargs)
        }
        // Remove the recorded operations nothing uses any more (a chain of them, from its end).
        while true {
            var used = Set(outputs.map(\.layer))
            for l in layers { for call in l.calls { for r in call { used.insert(r.layer) } } }
            let unused = layers.filter { operations.contains($0.name) && !used.contains($0.name) }.map(\.name)
            if unused.isEmpty { return layers }
            layers.removeAll { unused.contains($0.name) }
        }
    }

    /// For each nested model, the node index its first call has in this config (KERAS_FORMATS.md 2.3).
    ///
    /// Keras counts a model's own construction as its node 0 in some releases and not in others
    /// (a Keras 3 Sequential starts at 0; tf.keras skips the first node only when the nested model
    /// has an InputLayer). The references decide when they can: a model called `n` times is
    /// referenced with indices `0..<n` or `1...n`. Otherwise the version table does.
    private func nestedFirstNodes(_ entries: [(entry: LayerEntry, rawNodes: JSON?)], config: JSON) -> [String: Int] {
        var callCounts: [String: Int] = [:]
        for (e, nodes) in entries where ConfigDecoder.modelClasses.contains(e.className) {
            callCounts[e.name] = nodes?.arrayValue?.count ?? 0
        }
        guard !callCounts.isEmpty else { return [:] }
        // Every `[name, node, tensor, ...]` triple naming a nested model, wherever it sits: Keras 1/2
        // inbound nodes and their kwargs, Keras 3 `keras_history`, input/output lists.
        var referenced: [String: Set<Int>] = [:]
        func collect(_ value: JSON) {
            guard let items = value.arrayValue ?? value.objectValue.map({ Array($0.values) }) else { return }
            if value.arrayValue != nil, items.count >= 3, let name = items[0].stringValue, callCounts[name] != nil,
               let node = items[1].intValue, items[2].intValue != nil {
                referenced[name, default: []].insert(node)
            }
            items.forEach(collect)
        }
        for (_, nodes) in entries { nodes.map(collect) }
        config["output_layers"].map(collect)
        config["input_layers"].map(collect)
        var result: [String: Int] = [:]
        for (e, _) in entries {
            guard let calls = callCounts[e.name] else { continue }
            let used = referenced[e.name] ?? []
            if used.contains(0) {
                result[e.name] = 0
            } else if calls > 0, used.contains(calls) {
                result[e.name] = 1
            } else {
                result[e.name] = version.firstNodeIndex(ofNestedModel: e.className)
            }
        }
        return result
    }

    /// The calls of a layer: Keras 1/2 `[[[name, node, tensor, kwargs], ...], ...]` or Keras 3 `[{"args", "kwargs"}]`.
    ///
    /// Tensors passed as keyword arguments (tf.keras `{"value": ["v", 0, 0]}`, Keras 3 kwargs) follow
    /// the first argument's tensors in the order `query`, `value`, `key`, then the other names sorted.
    /// Each call's other non-null keyword arguments, and for tensor ones `{"inputs": [positions]}`,
    /// are returned as `kwargs` (the decoder stores them as the layer config's `call_kwargs`).
    private func inboundCalls(_ nodes: JSON?, layer: String) throws -> [(refs: [TensorRef], kwargs: [String: JSON])] {
        guard let nodes, nodes != .null else { return [] }
        guard let list = nodes.arrayValue else { throw KerasError(.format, "layer '\(layer)' has malformed inbound_nodes") }
        return try list.map { node in
            var refs: [TensorRef] = []
            let kwargs: JSON?
            if node.objectValue != nil {
                try collectKerasTensors(node["args"] ?? .null, into: &refs)
                kwargs = node["kwargs"]
            } else {
                guard let inputs = node.arrayValue else { throw KerasError(.format, "layer '\(layer)' has a malformed inbound node") }
                // A single call may also be written as one bare reference.
                let items = inputs.first?.stringValue != nil ? [node] : inputs
                refs = try items.map(TensorRef.init(json:))
                // tf.keras repeats the same kwargs on every item of the first argument.
                kwargs = items.first?.arrayValue.flatMap { $0.count > 3 ? $0[3] : nil }
            }
            var options: [String: JSON] = [:]
            let given = kwargs?.objectValue ?? [:]
            let priority = ["query", "value", "key"]
            let names = priority.filter { given[$0] != nil } + given.keys.filter { !priority.contains($0) }.sorted()
            for name in names {
                guard let value = given[name], value != .null else { continue }
                let before = refs.count
                if node.objectValue != nil {
                    try collectKerasTensors(value, into: &refs)
                } else {
                    try collectKeras2Tensors(value, into: &refs)
                }
                options[name] = refs.count > before
                    ? .object(["inputs": .array((before..<refs.count).map { .number(Double($0)) })])
                    : value
            }
            return (refs, options)
        }
    }

    /// tf.keras kwargs tensors are `[layer, node, tensor]` triples, possibly inside lists.
    private func collectKeras2Tensors(_ value: JSON, into refs: inout [TensorRef]) throws {
        guard let a = value.arrayValue else { return }
        if a.count == 3, a[0].stringValue != nil, a[1].intValue != nil, a[2].intValue != nil {
            refs.append(try TensorRef(json: value))
        } else {
            for item in a { try collectKeras2Tensors(item, into: &refs) }
        }
    }

    /// Keras 3 tensors are `{"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor]}}`.
    private func collectKerasTensors(_ value: JSON, into refs: inout [TensorRef]) throws {
        switch value {
        case .array(let items): for i in items { try collectKerasTensors(i, into: &refs) }
        case .object(let o):
            if o["class_name"]?.stringValue == "__keras_tensor__" {
                guard let h = o["config"]?["keras_history"] else { throw KerasError(.format, "a Keras tensor has no keras_history") }
                refs.append(try TensorRef(json: h))
            } else {
                for key in o.keys.sorted() { try collectKerasTensors(o[key]!, into: &refs) }
            }
        default: break
        }
    }

    /// `input_layers`/`output_layers`: a list of triples, one bare triple (Keras 3), or a dict of them.
    private func refList(_ json: JSON?, what: String) throws -> [TensorRef] {
        guard let json else { throw KerasError(.format, "the Functional config has no \(what)") }
        if let o = json.objectValue { return try o.keys.sorted().map { try TensorRef(json: o[$0]!) } }
        guard let a = json.arrayValue else { throw KerasError(.format, "malformed \(what)") }
        if a.first?.stringValue != nil { return [try TensorRef(json: json)] }
        return try a.map(TensorRef.init(json:))
    }

    // MARK: Layers

    struct LayerEntry {
        var className: String
        var name: String
        var config: [String: JSON]
    }

    /// One layer's `{"class_name", "config"}`, with wrapped layers and nested models made canonical.
    /// Whether `module` is where Keras 3 keeps the operations it records as graph nodes
    /// (`keras.src.ops.numpy`, `keras.src.ops.nn` ...), as opposed to a layer module (`keras.layers`).
    static func isOperationModule(_ module: String) -> Bool {
        module.hasPrefix("keras.src.ops.") || module == "keras.ops" || module.hasPrefix("keras.ops.")
    }

    func layerEntry(_ json: JSON) throws -> LayerEntry {
        guard let cls = json["class_name"]?.stringValue else {
            throw KerasError(.format, "a layer entry has no class_name: \(json.serialized.prefix(80))")
        }
        let raw = json["config"] ?? .object([:])
        if ConfigDecoder.modelClasses.contains(cls) {
            let graph = try decodeModel(className: cls, config: raw)
            let name = raw["name"]?.stringValue ?? json["name"]?.stringValue ?? graph.name
            var spec = graph
            spec.name = name
            return LayerEntry(className: cls, name: name, config: spec.json.objectValue ?? [:])
        }
        guard var config = raw.objectValue else {
            throw KerasError(.format, "layer of class \(cls) has no config object")
        }
        guard let name = config["name"]?.stringValue ?? json["name"]?.stringValue else {
            throw KerasError(.format, "a \(cls) layer has no name")
        }
        var className = cls
        if let module = json["module"]?.stringValue, ConfigDecoder.isOperationModule(module) {
            // A Keras 3 op node (`h * 0.5`, `keras.ops.mean(h)`): its class name may equal a layer's
            // (Multiply, Add, Concatenate...), so it is marked to be refused, never run as that layer.
            config[LayerSpec.operationKey] = .string("\(module).\(cls)")
        } else if let key = legacyOperationKey(json, className: cls, config: config) {
            config[LayerSpec.operationKey] = .string(key)
        }
        if version.isKeras1 {
            config["name"] = .string(name)
            (className, config) = try Keras1Config.translate(className: cls, config: config)
        }
        // Wrapped layers (TimeDistributed, Bidirectional's forward and backward layers) in the same form.
        for key in ["layer", "backward_layer"] {
            if let inner = config[key], inner.objectValue != nil {
                let e = try layerEntry(inner)
                config[key] = .object(["class_name": .string(e.className), "config": .object(e.config)])
            }
        }
        return LayerEntry(className: className, name: name, config: config)
    }
}
