import Foundation
import KerasRuntime

/// The weights of a Keras 3 `model.weights.h5` (inside a `.keras` archive) or `.weights.h5` file
/// (KERAS_FORMATS.md 1d).
///
/// Keras 3 addresses weights by walking the model's objects, not by layer names: the layers of a
/// model are `layers/<snake_case class name>` with a per-class counter (`dense`, `dense_1`, ...)
/// in `model.layers` order — the config's order, a Sequential's leading InputLayer left out —
/// and each object stores its own variables at `<path>/vars/0, 1, ...`. Children are named by
/// attribute: an RNN's cell (`cell/vars`), a wrapper's layer (`layer/…`), Bidirectional's
/// `forward_layer/…` and `backward_layer/…`, a nested model's `layers/…`.
///
/// Each layer's weights are returned in the order kconv's layer takes them, which is Keras'
/// `layer.weights` order (an LSTM's kernel, recurrent kernel, bias; Bidirectional's forward
/// layer then backward layer; a nested model's sublayers in order).
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
        return try collect(path: path, className: spec.className, config: spec.config)
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

    /// The weights of the object at `path`, in kconv's (Keras' `layer.weights`) order.
    private func collect(path: String, className: String, config: [String: JSON]) throws -> [WeightReader.Stored] {
        var out = try ownVariables(path)
        func inner(_ key: String) -> (className: String, config: [String: JSON])? {
            guard let o = config[key]?.objectValue, let cls = o["class_name"]?.stringValue,
                  let c = o["config"]?.objectValue else { return nil }
            return (cls, c)
        }
        switch className {
        case "TimeDistributed":
            if let wrapped = inner("layer") {
                out += try collect(path: Self.join(path, "layer"), className: wrapped.className, config: wrapped.config)
            }
        case "Bidirectional":
            if let forward = inner("layer") {
                let backward = inner("backward_layer") ?? forward
                out += try collect(path: Self.join(path, "forward_layer"), className: forward.className, config: forward.config)
                out += try collect(path: Self.join(path, "backward_layer"), className: backward.className, config: backward.config)
            }
        case _ where ConfigDecoder.modelClasses.contains(className):
            let graph = try GraphSpec(json: .object(config))
            for (spec, sub) in try Self.layerGroups(file: file, container: path, layers: graph.layers,
                                                     isSequential: graph.isSequential, version: version) {
                out += try collect(path: sub, className: spec.className, config: spec.config)
            }
        default:
            // Recurrent layers keep their variables in their cell.
            if file.root.hasGroup(Self.join(path, "cell")) {
                out += try ownVariables(Self.join(path, "cell"))
            }
        }
        return out
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
