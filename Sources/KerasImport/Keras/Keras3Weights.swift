import Foundation
import KerasRuntime

/// The weights of a Keras 3 `model.weights.h5` (inside a `.keras` archive) or `.weights.h5` file
/// (KERAS_FORMATS.md 1d).
///
/// Keras 3 addresses weights by walking the model's objects, not by layer names: the layers of a
/// model are `layers/<snake_case class name>` with a per-class counter (`dense`, `dense_1`, ...)
/// in `model.layers` order — the config's order, a Sequential's leading InputLayer left out —
/// and each object stores its own variables at `<path>/vars/0, 1, ...`. Sub-objects are named by
/// the attribute that holds them (`saving_lib._save_state`, see `collect`): an RNN's cell
/// (`cell/vars`), a wrapper's layer (`layer/…`), Bidirectional's `forward_layer/…` and
/// `backward_layer/…`, MultiHeadAttention's EinsumDense sublayers (`query_dense/vars`,
/// `key_dense`, `value_dense`, `output_dense`; `_query_dense` ... before Keras 3.0.3), a nested
/// model's `layers/…`.
///
/// Each layer's weights are returned in the order kconv's layer takes them, which is Keras'
/// `layer.weights` order (an LSTM's kernel, recurrent kernel, bias; Bidirectional's forward
/// layer then backward layer; MultiHeadAttention's query, key, value, output projections; a
/// nested model's sublayers in order), not the file's name order.
///
/// Since Keras 3.6 each `vars` group records the layer's name (`vars@name`); when it disagrees
/// with the counted path, the sibling group recording the right name is used.
struct Keras3Weights: WeightSource {
    let file: HDF5File
    let version: KerasVersion
    /// Each top-level layer's group and spec.
    private let layerPaths: [String: (path: String, spec: LayerSpec)]

    init(file: HDF5File, graph: GraphSpec, version: KerasVersion) throws {
        self.file = file
        self.version = version
        var paths: [String: (String, LayerSpec)] = [:]
        for (spec, path) in try Keras3Weights.layerGroups(file: file, container: "", layers: graph.layers,
                                                           isSequential: graph.isSequential, version: version) {
            paths[spec.name] = (path, spec)
        }
        layerPaths = paths
    }

    func weights(forLayer name: String) throws -> [WeightReader.Stored] {
        guard let (path, spec) = layerPaths[name] else { return [] }
        return try collect(path: path, className: spec.className, config: spec.config, layer: name)
    }

    /// Keras' `naming.to_snake_case` of a class name: `Conv2D → conv2d`, `ConvLSTM2D → conv_lstm2d`,
    /// `SimpleRNN → simple_rnn`, `PReLU → p_re_lu`, `BatchNormalization → batch_normalization`.
    static func snakeCase(_ name: String) -> String {
        // re.sub(r"\W+", "", name)
        var chars = Array(name.filter { $0.isLetter || $0.isNumber || $0 == "_" })
        // re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name): non-overlapping, left to right.
        var out: [Character] = []
        var i = 0
        while i < chars.count {
            if i + 2 < chars.count, chars[i + 1].isASCIIUpper, chars[i + 2].isASCIILower {
                out.append(chars[i])
                out.append("_")
                var j = i + 1
                out.append(chars[j])
                j += 1
                while j < chars.count, chars[j].isASCIILower { out.append(chars[j]); j += 1 }
                i = j
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        chars = out
        // re.sub("([a-z])([A-Z])", r"\1_\2", name)
        out = []
        i = 0
        while i < chars.count {
            out.append(chars[i])
            if chars[i].isASCIILower, i + 1 < chars.count, chars[i + 1].isASCIIUpper {
                out.append("_")
                out.append(chars[i + 1])
                i += 2
            } else {
                i += 1
            }
        }
        return String(out).lowercased()
    }

    /// The group of each layer of a model (or nested model) whose container path is `container`.
    static func layerGroups(file: HDF5File, container: String, layers: [LayerSpec], isSequential: Bool,
                            version: KerasVersion) throws -> [(LayerSpec, String)] {
        let root = file.root
        var listPath = join(container, "layers")
        if !root.hasGroup(listPath), root.hasGroup(join(container, "_layer_checkpoint_dependencies")) {
            // tf.keras 2.13 wrote this name instead of `layers`.
            listPath = join(container, "_layer_checkpoint_dependencies")
        }
        // `Sequential.layers` leaves out the leading InputLayer (Keras 3 and tf.keras ≥ 2.12 alike);
        // Functional models list their InputLayers.
        var walked = layers
        if isSequential, walked.first?.className == "InputLayer" {
            walked.removeFirst()
        }
        var counters: [String: Int] = [:]
        var result: [(LayerSpec, String)] = []
        var recordedNames: [String: String]?
        for spec in walked {
            let snake = snakeCase(spec.className)
            let n = counters[snake, default: 0]
            counters[snake] = n + 1
            var path = join(listPath, n == 0 ? snake : "\(snake)_\(n)")
            if let recorded = try recordedName(root: root, path: path), recorded != spec.name {
                // Keras ≥ 3.6 records each layer's name: find the group that holds this layer.
                if recordedNames == nil { recordedNames = try namesOfGroups(root: root, listPath: listPath) }
                if let other = recordedNames?[spec.name] { path = join(listPath, other) }
            }
            result.append((spec, path))
        }
        return result
    }

    /// The layer name `path/vars@name` records (Keras ≥ 3.6), if any.
    private static func recordedName(root: HDF5Group, path: String) throws -> String? {
        let vars = join(path, "vars")
        guard root.hasGroup(vars) else { return nil }
        return try root.group(vars).stringAttribute("name")
    }

    /// For each child group of `listPath`, the layer name its `vars@name` records.
    private static func namesOfGroups(root: HDF5Group, listPath: String) throws -> [String: String] {
        guard root.hasGroup(listPath) else { return [:] }
        var names: [String: String] = [:]
        for child in try root.group(listPath).childNames() {
            if let name = try recordedName(root: root, path: join(listPath, child)), names[name] == nil {
                names[name] = child
            }
        }
        return names
    }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : "\(a)/\(b)" }

    /// A sub-object Keras 3 saves below a layer's group, in the order kconv's layer takes its weights.
    private struct Subobject {
        /// The attribute names it may be stored under, the usual one first (see `collect`).
        let attributes: [String]
        /// What it is, for messages ("query projection").
        let role: String
        /// Its class and config, when it is itself a layer kconv knows (wrapped layers, cells).
        let className: String
        let config: [String: JSON]
        /// Whether the layer cannot do without it (it always has variables).
        let required: Bool
    }

    /// The sub-objects of a layer of class `className` that hold variables, in kconv's (Keras'
    /// `layer.weights`) order: the order the sublayers were created in, which is not the order
    /// Keras writes them in (sorted attribute names).
    private static func subobjects(className: String, config: [String: JSON]) -> [Subobject] {
        func inner(_ key: String) -> (className: String, config: [String: JSON])? {
            guard let o = config[key]?.objectValue, let cls = o["class_name"]?.stringValue,
                  let c = o["config"]?.objectValue else { return nil }
            return (cls, c)
        }
        // A sublayer held in `_x` behind a public property `x` (`isProperty`) is stored under `x` since
        // Keras 3.0.3 (public names are visited first), under `_x` by Keras 3.0.0–3.0.2 and tf.keras.
        func attribute(_ name: String, _ role: String, className: String, config: [String: JSON] = [:],
                       required: Bool, isProperty: Bool = false) -> Subobject {
            Subobject(attributes: isProperty ? [name, "_" + name] : [name], role: role, className: className,
                      config: config, required: required)
        }
        switch className {
        case "TimeDistributed":
            guard let wrapped = inner("layer") else { return [] }
            return [attribute("layer", "wrapped layer", className: wrapped.className, config: wrapped.config, required: false)]
        case "Bidirectional":
            guard let forward = inner("layer") else { return [] }
            let backward = inner("backward_layer") ?? forward
            return [attribute("forward_layer", "forward layer", className: forward.className, config: forward.config, required: true),
                    attribute("backward_layer", "backward layer", className: backward.className, config: backward.config, required: true)]
        case "MultiHeadAttention":
            // EinsumDense sublayers created in this order (keras/src/layers/attention/multi_head_attention.py).
            return [("query_dense", "query projection"), ("key_dense", "key projection"),
                    ("value_dense", "value projection"), ("output_dense", "output projection")].map {
                attribute($0.0, $0.1, className: "EinsumDense", required: true, isProperty: true)
            }
        default:
            // Recurrent layers (LSTM, GRU, SimpleRNN, RNN, ConvLSTM) keep their variables in their cell.
            let cell = inner("cell")
            return [attribute("cell", "cell", className: cell?.className ?? "\(className) cell", config: cell?.config ?? [:],
                              required: false)]
        }
    }

    /// The weights of the object at `path`, in kconv's (Keras' `layer.weights`) order.
    ///
    /// Where Keras 3 puts them is `saving_lib._save_state`'s walk: every saveable object writes its own
    /// variables at `<path>/vars/0, 1, ...`, then visits its attributes in sorted order (public names
    /// before `_private` ones since Keras 3.0.2; attributes a plain `Layer` has are skipped) and saves
    /// each saveable attribute `a` at `<path>/a` (a list of them, such as a model's `layers`, at
    /// `<path>/a/<snake_case class>[_n]`); an object reached twice is saved at its first path only.
    /// So a layer's sublayers are stored under their attribute names (`cell`, `layer`,
    /// `forward_layer`, MultiHeadAttention's `query_dense`, ...) in name order, and `subobjects` puts
    /// them back in the order the layer creates them. A group below `path` that holds variables but
    /// is no sub-object kconv knows is an error rather than a weight silently left out.
    private func collect(path: String, className: String, config: [String: JSON], layer: String) throws -> [WeightReader.Stored] {
        var out = try ownVariables(path)
        var used: Set<String> = ["vars"]
        if ConfigDecoder.modelClasses.contains(className) {
            let graph = try GraphSpec(json: .object(config))
            for (spec, sub) in try Self.layerGroups(file: file, container: path, layers: graph.layers,
                                                     isSequential: graph.isSequential, version: version) {
                out += try collect(path: sub, className: spec.className, config: spec.config, layer: spec.name)
            }
            used.formUnion(["layers", "_layer_checkpoint_dependencies"])
        } else {
            for sub in Self.subobjects(className: className, config: config) {
                guard let attribute = sub.attributes.first(where: { file.root.hasGroup(Self.join(path, $0)) }) else {
                    if sub.required {
                        let groups = sub.attributes.map { "/" + Self.join(path, $0) }.joined(separator: " or ")
                        throw KerasError(.format, "layer '\(layer)' (\(className)): its \(sub.role) should be stored in the group \(groups), which the weights file does not have", file: file.path)
                    }
                    continue
                }
                used.insert(attribute)
                out += try collect(path: Self.join(path, attribute), className: sub.className, config: sub.config, layer: layer)
            }
        }
        guard file.root.hasGroup(path) else { return out }
        for child in try file.root.group(path).childNames() where !used.contains(child) {
            let childPath = Self.join(path, child)
            if try holdsVariables(childPath) {
                throw KerasError(.unsupported, "layer '\(layer)' (\(className)): the weights file holds variables under /\(childPath), a sub-object kconv does not know for this layer (an option kconv does not implement?)", file: file.path)
            }
        }
        return out
    }

    /// Whether the object at `path` or any object below it stores a variable (a dataset).
    private func holdsVariables(_ path: String, depth: Int = 0) throws -> Bool {
        let root = file.root
        guard root.hasGroup(path) else { return true }  // a dataset (or another link) itself
        guard depth < 32 else { return false }
        for child in try root.group(path).childNames() {
            if try holdsVariables(Self.join(path, child), depth: depth + 1) { return true }
        }
        return false
    }

    /// The datasets `path/vars/0, 1, ...` (an object's own variables, trainable then non-trainable).
    private func ownVariables(_ path: String) throws -> [WeightReader.Stored] {
        let varsPath = Self.join(path, "vars")
        let root = file.root
        guard root.hasGroup(varsPath) else { return [] }
        let children = try root.group(varsPath).childNames()
        let indices = children.compactMap { Int($0) }.sorted()
        guard indices.count == children.count, indices == Array(0..<indices.count) else {
            throw KerasError(.format, "the weights group /\(varsPath) should hold datasets 0, 1, 2 ..., found \(children.prefix(8).joined(separator: ", "))", file: file.path)
        }
        return try indices.map { i in
            let d = try root.dataset("\(varsPath)/\(i)")
            return WeightReader.Stored(name: "/\(varsPath)/\(i)", tensor: try Tensor(shape: d.shape, scalars: d.readFloats()))
        }
    }
}

private extension Character {
    var isASCIIUpper: Bool { isASCII && isUppercase }
    var isASCIILower: Bool { isASCII && isLowercase }
}
