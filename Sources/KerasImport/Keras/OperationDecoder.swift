import KerasRuntime

/// Recorded operations: tf_keras' `TFOpLambda` / `SlicingOpLambda` layers and Keras 3 op nodes,
/// decoded into the canonical operation config that the `OperationLayer` reads (its documentation
/// gives the keys): `keras_operation`, `function`, `arguments`, `slices`, `axis`, `keepdims`...;
/// `operand_dtypes` when an operand is not float32.
///
/// Every tensor operand becomes an input of the layer's call (`{"tensor": k}` in `arguments`);
/// constants stay as they are. An operation kconv does not know keeps `keras_operation` and its
/// operands but no `function`, so the registry refuses it by name.
extension ConfigDecoder {
    /// tf_keras function names (`TFOpLambda.config.function`) → canonical functions. tf_keras
    /// writes `tf.add`/`tf.math.add` as `math.add` and `tf.divide`/`tf.math.divide` as `math.truediv`.
    static let tfFunctions: [String: String] = [
        "__operators__.add": "add", "math.add": "add", "math.subtract": "subtract",
        "math.multiply": "multiply", "math.truediv": "divide",
        "__operators__.getitem": "getitem", "math.reduce_mean": "mean",
        "math.not_equal": "not_equal", "math.equal": "equal", "cast": "cast",
        "math.maximum": "maximum", "math.minimum": "minimum", "math.exp": "exp", "math.log": "log",
        "math.sqrt": "sqrt", "math.square": "square", "math.abs": "abs", "math.tanh": "tanh",
        "math.sigmoid": "sigmoid", "nn.relu": "relu", "clip_by_value": "clip",
        "reshape": "reshape", "compat.v1.transpose": "transpose", "expand_dims": "expand_dims",
        "compat.v1.squeeze": "squeeze", "concat": "concat", "math.reduce_sum": "sum", "math.reduce_max": "max",
        "math.reduce_min": "min", "nn.softmax": "softmax", "linalg.matmul": "matmul",
        "compat.v1.floor_div": "floor_divide", "math.greater": "greater",
        "math.greater_equal": "greater_equal", "math.less": "less", "math.less_equal": "less_equal",
        "where": "where", "one_hot": "one_hot", "stack": "stack", "split": "split", "math.erf": "erf",
        "math.negative": "negative",
    ]
    /// Keras 3 op classes of `keras.src.ops.numpy` / `.nn` / `.core` → canonical functions.
    static let keras3Functions: [String: String] = [
        "Add": "add", "Subtract": "subtract", "Multiply": "multiply", "Divide": "divide",
        "TrueDivide": "divide", "GetItem": "getitem", "Mean": "mean",
        "NotEqual": "not_equal", "Equal": "equal", "Cast": "cast",
        "Maximum": "maximum", "Minimum": "minimum", "Exp": "exp", "Log": "log", "Sqrt": "sqrt",
        "Square": "square", "Absolute": "abs", "Tanh": "tanh", "Sigmoid": "sigmoid", "Relu": "relu", "Clip": "clip",
        "Reshape": "reshape", "Transpose": "transpose", "ExpandDims": "expand_dims", "Squeeze": "squeeze",
        "Concatenate": "concat", "Sum": "sum", "Max": "max", "Min": "min", "Softmax": "softmax", "Matmul": "matmul",
        "FloorDivide": "floor_divide", "Greater": "greater", "GreaterEqual": "greater_equal", "Less": "less",
        "LessEqual": "less_equal", "Where": "where", "OneHot": "one_hot", "Stack": "stack", "Split": "split",
        "Erf": "erf", "Negative": "negative",
    ]
    /// The modules of the Keras 3 op classes in `keras3Functions`.
    static let keras3OperationModules = ["keras.src.ops.numpy.", "keras.src.ops.nn.", "keras.src.ops.core.", "keras.src.ops.math."]

    /// A canonical function's options: canonical key, tf_keras keyword, Keras 3 op config key
    /// (empty where the generation has no such option).
    static let functionOptions: [String: [(key: String, tf: String, keras3: String)]] = [
        "mean": [("axis", "axis", "axis"), ("keepdims", "keepdims", "keepdims")],
        "cast": [("dtype", "dtype", "dtype")],
        "clip": [("min", "clip_value_min", "x_min"), ("max", "clip_value_max", "x_max")],
        "sum": [("axis", "axis", "axis"), ("keepdims", "keepdims", "keepdims")],
        "max": [("axis", "axis", "axis"), ("keepdims", "keepdims", "keepdims"), ("initial", "initial", "initial")],
        "min": [("axis", "axis", "axis"), ("keepdims", "keepdims", "keepdims"), ("initial", "initial", "initial")],
        "reshape": [("shape", "shape", "newshape")],
        "transpose": [("axes", "perm", "axes"), ("conjugate", "conjugate", "conjugate")],
        "expand_dims": [("axis", "axis", "axis")], "squeeze": [("axis", "axis", "axis")],
        "concat": [("axis", "axis", "axis")], "softmax": [("axis", "axis", "axis")],
        "stack": [("axis", "axis", "axis")],
        "split": [("split_sizes", "num_or_size_splits", ""), ("split_indices", "", "indices_or_sections"), ("axis", "axis", "axis")],
        "one_hot": [("depth", "depth", "num_classes"), ("on_value", "on_value", ""), ("off_value", "off_value", ""),
                    ("axis", "axis", "axis"), ("dtype", "dtype", "dtype"), ("sparse", "", "sparse")],
    ]
    /// The operands after the first as tf_keras writes them (keywords), in call order: a binary
    /// function's `y` (matmul's `b`), `where`'s `x` and `y`.
    static let tfOtherOperands = ["x", "y", "b"]

    /// Keras 3's legacy `.h5` writes op nodes without their `module`. Every Keras 3 layer's config
    /// holds `trainable` and `dtype`; an op's holds only its name and a few options (`axis`,
    /// `keepdims`, `newshape`, `axes`, `x_min`, `x_max`, `initial`, Cast's `dtype`) and never
    /// `trainable`, so such an entry of a Functional model is an op node:
    /// `keras.src.ops.numpy.<class>` when kconv knows the class as an operation, else `keras.ops.<class>`.
    func legacyOperationKey(_ json: JSON, className: String, config: [String: JSON]) -> String? {
        guard version.isKeras3, json["module"] == nil, json["inbound_nodes"] != nil,
              Set(config.keys).isSubset(of: ConfigDecoder.legacyOperationOptions),
              !ConfigDecoder.modelClasses.contains(className), className != "InputLayer", !className.contains(">") else { return nil }
        return ConfigDecoder.keras3Functions[className] != nil ? "keras.src.ops.numpy.\(className)" : "keras.ops.\(className)"
    }

    /// The keys a Keras 3 op node's config can hold (see `legacyOperationKey`).
    static let legacyOperationOptions: Set<String> = ["name", "axis", "keepdims", "newshape", "axes", "x_min", "x_max", "initial", "dtype",
                                                      "num_classes", "sparse", "indices_or_sections"]

    static func isOperation(_ e: LayerEntry) -> Bool {
        e.config[LayerSpec.operationKey] != nil || e.className == "TFOpLambda" || e.className == "SlicingOpLambda"
    }

    /// The canonical config and the call's tensors of an operation layer, and the type of its
    /// results. Keras 3 records each operand's dtype; tf_keras does not, so `tensorDtypes` gives
    /// the types of the model's earlier tensors by the layer that makes them (InputLayers and
    /// operations; every other layer gives float32).
    func operationLayer(_ e: LayerEntry, nodes: JSON?, tensorDtypes: [String: LogicalDtype]) throws
        -> (config: [String: JSON], calls: [[TensorRef]], resultDtype: LogicalDtype) {
        let list = nodes?.arrayValue ?? []
        guard list.count <= 1 else {
            throw KerasError(.unsupported, "operation layer '\(e.name)' is called \(list.count) times; kconv reads operations called once")
        }
        var config: [String: JSON] = ["name": .string(e.name)]
        guard let node = list.first else { return (config, [], .float32) }
        var operands = Operands()
        var arguments: [JSON]
        var keywords: [String: JSON] = [:]
        let function: String?
        /// The tensor operands' types, in call-input order (`LogicalDtype.result` reads them).
        let operandTypes: [LogicalDtype]
        if let key = e.config[LayerSpec.operationKey]?.stringValue {
            // Keras 3: {"args": [...], "kwargs": {...}}; options (Mean's axis) are in the op's config.
            config[LayerSpec.operationKey] = .string(key)
            arguments = try (node["args"]?.arrayValue ?? []).map { try operands.keras3($0) }
            for (k, v) in (node["kwargs"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) { keywords[k] = try operands.keras3(v) }
            let cls = String(key.split(separator: ".").last ?? "")
            let known = ConfigDecoder.keras3OperationModules.contains { key == $0 + cls }
            function = known ? ConfigDecoder.keras3Functions[cls] : nil
            if function == "getitem", arguments.count == 2 {
                config["slices"] = .array(try sliceItems(arguments.removeLast()))
            }
            for option in ConfigDecoder.functionOptions[function ?? ""] ?? [] { config[option.key] = e.config[option.keras3] }
            if operands.dtypes.contains(where: { $0 != .string("float32") && $0 != .null }) {
                config["operand_dtypes"] = .array(operands.dtypes)
            }
            operandTypes = operands.dtypes.map { LogicalDtype(keras: $0) ?? .float32 }
        } else {
            // tf_keras: the first argument with the other arguments as kwargs on each of its items.
            let name = e.config["function"]?.stringValue ?? "?"
            config[LayerSpec.operationKey] = .string("tf.\(name)")
            arguments = [try operands.tfKerasFirst(node)]
            // In key order, so that the tensors are numbered the same way every time (`.kconv` bytes stay reproducible).
            for (k, v) in operands.tfKwargs.sorted(by: { $0.key < $1.key }) where k != "name" && v != .null {
                keywords[k] = try operands.tfKeras(v)
            }
            function = ConfigDecoder.tfFunctions[name]
            if function == "getitem", let spec = keywords.removeValue(forKey: "slice_spec") {
                config["slices"] = .array(try sliceItems(spec))
            }
            for option in ConfigDecoder.functionOptions[function ?? ""] ?? [] {
                config[option.key] = keywords.removeValue(forKey: option.tf)
            }
            for key in ConfigDecoder.tfOtherOperands where function != nil {
                if let y = keywords.removeValue(forKey: key) { arguments.append(y) }
            }
            operandTypes = operands.refs.map { tensorDtypes[$0.layer] ?? .float32 }
            if operandTypes.contains(where: { $0 != .float32 }) {
                config["operand_dtypes"] = .array(operandTypes.map { .string($0.description) })
            }
        }
        if let function, keywords.isEmpty {
            config["function"] = .string(function)
        }
        config["arguments"] = .array(arguments)
        if !keywords.isEmpty { config["keywords"] = .object(keywords) }
        let result = function.flatMap { LogicalDtype.result(of: $0, config: config, operands: operandTypes) } ?? .float32
        return (config, [operands.refs], result)
    }

    /// A subscript in canonical items: Keras 3 `__slice__` / `__ellipsis__` objects, tf_keras slice
    /// dicts and `{"class_name": "__ellipsis__"}`, integers, null (a new axis); one item or a list.
    private func sliceItems(_ spec: JSON) throws -> [JSON] {
        func item(_ v: JSON) -> JSON {
            if v == .null { return .object(["newaxis": .bool(true)]) }
            if let i = v.intValue, v.doubleValue == Double(i) { return .object(["index": .number(Double(i))]) }
            if v["class_name"]?.stringValue == "__ellipsis__" { return .object(["ellipsis": .bool(true)]) }
            let bounds = v["class_name"]?.stringValue == "__slice__" ? v["config"] : v
            if let b = bounds?.objectValue, Set(b.keys) == ["start", "stop", "step"] { return .object(b) }
            return v  // refused by the layer, named
        }
        if let a = spec.arrayValue { return a.map(item) }
        return [item(spec)]
    }
}

/// Collects an operation call's tensors in order, replacing each by `{"tensor": k}`.
private struct Operands {
    var refs: [TensorRef] = []
    /// tf_keras: the kwargs written on the first argument's items.
    var tfKwargs: [String: JSON] = [:]
    /// Keras 3: each tensor operand's dtype as its `__keras_tensor__` records it.
    var dtypes: [JSON] = []

    private mutating func marker(_ ref: TensorRef) -> JSON {
        refs.append(ref)
        return .object(["tensor": .number(Double(refs.count - 1))])
    }

    /// Keras 3: `{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}` anywhere.
    mutating func keras3(_ value: JSON) throws -> JSON {
        switch value {
        case .array(let items): return .array(try items.map { try keras3($0) })
        case .object(let o):
            if o["class_name"]?.stringValue == "__keras_tensor__" {
                guard let h = o["config"]?["keras_history"]?.arrayValue else { throw KerasError(.format, "a Keras tensor has no keras_history") }
                dtypes.append(o["config"]?["dtype"] ?? .null)
                return marker(try TensorRef(json: .array(h)))
            }
            var out: [String: JSON] = [:]
            for key in o.keys.sorted() { out[key] = try keras3(o[key]!) }
            return .object(out)
        default: return value
        }
    }

    /// tf_keras first argument: `[layer, node, tensor, kwargs]`, `["_CONSTANT_VALUE", -1, value, kwargs]`,
    /// or a (nested) list of them.
    mutating func tfKerasFirst(_ value: JSON) throws -> JSON {
        guard let a = value.arrayValue else { return value }
        guard let head = a.first?.stringValue else { return .array(try a.map { try tfKerasFirst($0) }) }
        if a.count > 3, tfKwargs.isEmpty, let kwargs = a[3].objectValue { tfKwargs = kwargs }
        if head == "_CONSTANT_VALUE", a.count >= 3 { return a[2] }
        return marker(try TensorRef(json: .array(a)))
    }

    /// tf_keras kwargs: tensors are `[layer, node, tensor]` triples, possibly inside lists or dicts.
    mutating func tfKeras(_ value: JSON) throws -> JSON {
        switch value {
        case .array(let a):
            if a.count == 3, a[0].stringValue != nil, a[1].intValue != nil, a[2].intValue != nil {
                return marker(try TensorRef(json: .array(a)))
            }
            return .array(try a.map { try tfKeras($0) })
        case .object(let o):
            var out: [String: JSON] = [:]
            for key in o.keys.sorted() { out[key] = try tfKeras(o[key]!) }
            return .object(out)
        default: return value
        }
    }
}
