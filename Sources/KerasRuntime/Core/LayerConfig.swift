import KConvOps

/// A layer's config dictionary with typed accessors whose errors name the layer and the key.
package struct LayerConfig: Sendable {
    /// The Keras class name (`"Dense"`, `"LSTM"` ...).
    package let className: String
    /// The layer's name.
    package let name: String
    /// The raw `config` object.
    package let values: [String: JSON]
    /// The Keras release that wrote the file.
    package let version: KerasVersion

    package init(className: String, name: String, values: [String: JSON], version: KerasVersion) {
        self.className = className
        self.name = name
        self.values = values
        self.version = version
    }

    package subscript(key: String) -> JSON? {
        guard let v = values[key], v != .null else { return nil }
        return v
    }

    /// An error naming this layer, its class and the offending option.
    package func unsupported(_ what: String) -> KerasError {
        KerasError(.unsupported, "layer '\(name)' (\(className)): \(what)")
    }

    func invalid(_ key: String, _ expected: String) -> KerasError {
        KerasError(.format, "layer '\(name)' (\(className)): option '\(key)' should be \(expected), found \(values[key].map { $0.serialized } ?? "nothing")")
    }

    package func int(_ key: String, default fallback: Int? = nil) throws -> Int {
        guard let v = self[key] else {
            if let fallback { return fallback }
            throw KerasError(.format, "layer '\(name)' (\(className)) has no '\(key)'")
        }
        // A 1-element list is accepted for integer options (Keras tuples such as pool_size (2,)).
        if let a = v.arrayValue, a.count == 1, let i = a[0].intValue { return try sized(key, i) }
        guard let i = v.intValue else { throw invalid(key, "an integer") }
        return try sized(key, i)
    }

    /// `value`, unless its size is beyond `SizeLimit.dimension` (an absurd config).
    private func sized(_ key: String, _ value: Int) throws -> Int {
        guard value.magnitude <= SizeLimit.dimension else {
            throw KerasError(.unsupported, "layer '\(name)' (\(className)): option '\(key)' is \(value), beyond kconv's limit of 2^31 - 1")
        }
        return value
    }

    package func double(_ key: String, default fallback: Double? = nil) throws -> Double {
        guard let v = self[key] else {
            if let fallback { return fallback }
            throw KerasError(.format, "layer '\(name)' (\(className)) has no '\(key)'")
        }
        guard let d = v.doubleValue else { throw invalid(key, "a number") }
        return d
    }

    package func optionalDouble(_ key: String) throws -> Double? {
        guard self[key] != nil else { return nil }
        return try double(key)
    }

    package func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let v = self[key] else { return fallback }
        guard let b = v.boolValue else { throw invalid(key, "true or false") }
        return b
    }

    package func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard let v = self[key] else {
            if let fallback { return fallback }
            throw KerasError(.format, "layer '\(name)' (\(className)) has no '\(key)'")
        }
        guard let s = v.stringValue else { throw invalid(key, "a string") }
        return s
    }

    /// An integer tuple of `count` entries; a single integer is repeated (Keras' `normalize_tuple`).
    package func ints(_ key: String, count: Int, default fallback: [Int]? = nil) throws -> [Int] {
        guard let v = self[key] else {
            if let fallback { return fallback }
            throw KerasError(.format, "layer '\(name)' (\(className)) has no '\(key)'")
        }
        if let i = v.intValue { return Array(repeating: try sized(key, i), count: count) }
        guard let a = v.arrayValue, a.count == count else { throw invalid(key, "\(count) integers") }
        return try a.map { guard let i = $0.intValue else { throw invalid(key, "\(count) integers") }; return try sized(key, i) }
    }

    /// An option that is an integer or a list of integers (Keras' `axis`, `shared_axes`), as a list;
    /// nil when absent or null.
    func intList(_ key: String) throws -> [Int]? {
        guard let v = self[key] else { return nil }
        if let i = v.intValue { return [try sized(key, i)] }
        let items = v.arrayValue?.compactMap(\.intValue)
        guard let items, items.count == v.arrayValue?.count else {
            throw unsupported("\(key) \(v.serialized.prefix(60)) is not an integer or a list of integers")
        }
        return try items.map { try sized(key, $0) }
    }

    /// A list of integers, `null` entries allowed (shapes).
    package func shape(_ key: String) throws -> Shape? {
        guard let v = self[key] else { return nil }
        guard let a = v.arrayValue else { throw invalid(key, "a list of dimensions") }
        return try a.map { item -> Int? in
            if item == .null { return nil }
            guard let i = item.intValue, i >= -1 else { throw invalid(key, "a list of dimensions") }
            return try sized(key, i)
        }
    }

    /// An activation option (`"relu"`, or a serialized activation object).
    func activation(_ key: String = "activation", default fallback: String = "linear") throws -> Activation {
        try Activation(json: self[key] ?? .string(fallback), version: version, context: self)
    }

    /// The config of a wrapped layer (TimeDistributed, Bidirectional), as a `LayerConfig`.
    package func wrappedLayer(_ key: String = "layer") throws -> LayerConfig {
        guard let inner = self[key]?.objectValue,
              let cls = inner["class_name"]?.stringValue,
              let cfg = inner["config"]?.objectValue else {
            throw KerasError(.format, "layer '\(name)' (\(className)) has no valid '\(key)' config")
        }
        let innerName = cfg["name"]?.stringValue ?? inner["name"]?.stringValue ?? "\(name)_inner"
        return LayerConfig(className: cls, name: innerName, values: cfg, version: version)
    }
}
