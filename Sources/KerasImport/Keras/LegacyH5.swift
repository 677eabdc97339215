import KerasRuntime

/// The weights of a Keras 1/2/tf.keras `.h5` file (or Keras 3's legacy `.h5`): one group per layer,
/// listed by the `layer_names` attribute, each naming its datasets in `weight_names`.
///
/// Weights are found only through those attributes, never by guessing dataset paths
/// (KERAS_FORMATS.md 1a).
struct LegacyH5Weights: WeightSource {
    let file: HDF5File
    /// The group holding the layer groups: `/model_weights` in a full model, the root in a weights file.
    let group: HDF5Group
    let layerNames: [String]
    /// For nested models: the names of their sublayers in build order (weights are reordered to it).
    let nestedSublayers: [String: [String]]

    init(file: HDF5File, group: HDF5Group, graph: GraphSpec) throws {
        self.file = file
        self.group = group
        guard let names = try group.stringListAttribute("layer_names") else {
            throw KerasError(.format, "the weights group \(group.path) has no layer_names attribute", file: file.path)
        }
        layerNames = names
        var nested: [String: [String]] = [:]
        for l in graph.layers where ConfigDecoder.modelClasses.contains(l.className) {
            nested[l.name] = LegacyH5Weights.sublayerNames(l.config)
        }
        nestedSublayers = nested
    }

    /// Sublayer names of a canonical nested-model config, depth first.
    static func sublayerNames(_ config: [String: JSON]) -> [String] {
        guard let layers = config["layers"]?.arrayValue else { return [] }
        return layers.flatMap { l -> [String] in
            let name = l["name"]?.stringValue ?? ""
            if let cls = l["class_name"]?.stringValue, ConfigDecoder.modelClasses.contains(cls), let c = l["config"]?.objectValue {
                return [name] + sublayerNames(c)
            }
            return [name]
        }
    }

    func weights(forLayer name: String) throws -> [WeightReader.Stored] {
        guard layerNames.contains(name) else { return [] }
        let layerGroup = try group.group(name)
        let weightNames = try layerGroup.stringListAttribute("weight_names") ?? []
        var stored = try weightNames.map { w in
            let d = try layerGroup.dataset(w)
            return WeightReader.Stored(name: w, tensor: try Tensor(shape: d.shape, scalars: d.readFloats()))
        }
        if let sublayers = nestedSublayers[name] {
            stored = LegacyH5Weights.reorder(stored, by: sublayers)
        }
        return stored
    }

    /// A nested model's group lists all trainable weights before all non-trainable ones; its layers
    /// take them sublayer by sublayer. Each weight is assigned to the sublayer named in its path.
    static func reorder(_ stored: [WeightReader.Stored], by sublayers: [String]) -> [WeightReader.Stored] {
        let position = Dictionary(sublayers.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var keyed: [(Int, Int, WeightReader.Stored)] = []
        for (i, w) in stored.enumerated() {
            let components = w.name.split(separator: "/").map(String.init)
            guard let owner = components.dropLast().reversed().compactMap({ position[$0] }).first else { return stored }
            keyed.append((owner, i, w))
        }
        return keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }
}
