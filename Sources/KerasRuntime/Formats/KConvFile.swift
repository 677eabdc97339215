import Foundation

/// Reads and writes `.kconv` files: a converted Keras model in a single safetensors file.
///
/// ## Layout
///
/// A `.kconv` file is a valid [safetensors](https://github.com/huggingface/safetensors) file:
///
/// 1. 8 bytes: `N`, the header length, unsigned little-endian;
/// 2. `N` bytes: the JSON header, padded with spaces so that the data starts on an 8-byte boundary;
/// 3. the tensor data: raw little-endian `float32`, tensors back to back, no gaps.
///
/// The header maps each tensor name to `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}`
/// (offsets relative to the start of the data) and holds `"__metadata__"`, a string → string map:
///
/// | key | value |
/// |---|---|
/// | `format` | `"kconv"` |
/// | `format_version` | `"1"` |
/// | `graph` | the model's canonical graph (``GraphSpec/json``), serialised |
/// | `keras_version` | the Keras release that wrote the source file (selects version-dependent formulas) |
/// | `backend` | the backend the source file records (absent when it records none) |
/// | `source_name` | the source model file's name |
/// | `source_sha256` | the SHA-256 of the source model file, 64 hex digits |
/// | `source_weights_name`, `source_weights_sha256` | the same for a separate weights file (a JSON architecture's `--weights`), when there was one |
/// | `test_note` | where the stored test vectors come from (only with test vectors) |
/// | `test_tolerance` | the tolerance the stored test vectors were checked at (only with test vectors) |
/// | `labels` | the class labels, a JSON array of strings in class-index order (optional) |
/// | `scaler` | the input scaler, JSON as ``InputScaler/json`` (optional) |
/// | `anomaly_threshold` | the reconstruction error above which a sample is an anomaly (optional) |
///
/// Tensors: layer weights are named `"<layer name>/<index>"`, `index` being the weight's position in
/// the layer's ``Layer/weights`` (Keras' order); stored test vectors are `"__test__/input_<i>"` and
/// `"__test__/expected_<i>"`, one per model input and output. Weight tensors come first, in the
/// graph's layer order, then the test vectors; the header's keys are sorted, so the same model
/// always gives the same bytes.
///
/// ## Reading
///
/// The file is read whole into memory, not memory-mapped: a mapped file truncated by another
/// process would kill this one. Every length, offset, shape and dtype is checked before it is used:
/// a damaged or hostile file gives a ``KerasError``, never a trap or an out-of-bounds read. Each
/// tensor is read once, from the file straight into the `[Float]` storage the layers keep (bytes
/// given in memory are copied into it), so the model does not depend on the file afterwards.
package enum KConvFile {
    /// The value of the `format` metadata key.
    package static let formatName = "kconv"
    /// The format version this kconv writes and reads.
    package static let formatVersion = 1
    /// The largest header accepted (the limit of the reference safetensors implementation).
    package static let maxHeaderLength = SafeTensors.maxHeaderLength
    /// The name prefix of stored test vectors.
    package static let testPrefix = "__test__/"

    /// Everything a `.kconv` file holds, decoded and checked.
    package struct Contents: Sendable {
        /// The model, built with the file's weights.
        package let graph: LayerGraph
        /// Where the model came from.
        package let provenance: Provenance
        /// The stored test vectors, if the file has any.
        package let testVectors: StoredTestVectors?
        /// The labels, scaler and anomaly threshold kept with the model.
        package let annotations: ModelAnnotations
        /// The header's whole `__metadata__` map.
        package let metadata: [String: String]
    }

    // MARK: Writing

    /// The `.kconv` bytes of `model`, with `testVectors` stored when given.
    ///
    /// Throws when the model has a layer that was never built (its weights are unknown), when a
    /// layer's name would collide with the test-vector prefix, or when the test vectors do not
    /// match the model's inputs and outputs in number.
    package static func encode(_ model: LayerGraph, provenance: Provenance, testVectors: StoredTestVectors? = nil,
                               annotations: ModelAnnotations = ModelAnnotations()) throws -> [UInt8] {
        var tensors: [(name: String, tensor: Tensor)] = []
        for (i, layer) in model.layers.enumerated() where !model.spec.layers[i].calls.isEmpty {
            if layer.name == "__test__" || layer.name == "__metadata__" {
                throw KerasError(.unsupported, "layer name '\(layer.name)' is reserved in .kconv files")
            }
            for (j, w) in layer.weights.enumerated() {
                tensors.append(("\(layer.name)/\(j)", w.tensor))
            }
        }
        var metadata: [String: String] = [
            "format": formatName,
            "format_version": String(formatVersion),
            "graph": model.spec.json.serialized,
            "keras_version": provenance.kerasVersion,
            "source_name": provenance.sourceName,
            "source_sha256": provenance.sourceSHA256,
        ]
        if let backend = provenance.backend { metadata["backend"] = backend }
        if let name = provenance.weightsName { metadata["source_weights_name"] = name }
        if let hash = provenance.weightsSHA256 { metadata["source_weights_sha256"] = hash }
        metadata.merge(annotations.metadata) { _, new in new }
        if let testVectors {
            try testVectors.check(against: model)
            for (i, t) in testVectors.inputs.enumerated() { tensors.append(("\(testPrefix)input_\(i)", t)) }
            for (i, t) in testVectors.expected.enumerated() { tensors.append(("\(testPrefix)expected_\(i)", t)) }
            if let note = testVectors.note { metadata["test_note"] = note }
            if let tolerance = testVectors.tolerance { metadata["test_tolerance"] = "\(tolerance)" }
        }
        return try SafeTensors.encode(metadata: metadata, tensors: tensors)
    }

    /// Writes `model` to `url` as a `.kconv` file, replacing any file there atomically.
    package static func write(_ model: LayerGraph, provenance: Provenance, testVectors: StoredTestVectors? = nil,
                              annotations: ModelAnnotations = ModelAnnotations(), to url: URL) throws {
        let bytes: [UInt8]
        do { bytes = try encode(model, provenance: provenance, testVectors: testVectors, annotations: annotations) } catch {
            throw error.inFile(url.path)
        }
        try FileBytes.write(bytes, to: url)
    }

    // MARK: Reading

    /// Reads, checks and builds the model in the `.kconv` file at `url`: a regular file is read
    /// tensor by tensor, each straight into its array; anything else whole (with the errors of
    /// `FileBytes.read` for a missing, empty or unreadable file and a directory).
    package static func read(contentsOf url: URL) throws -> Contents {
        guard let file = try FileBytes.RegularFile(url) else {
            return try decode(FileBytes.read(url, format: ".kconv"), name: url.path)
        }
        do {
            return try decodeUnattributed(SafeTensors(reading: file, format: ".kconv"))
        } catch {
            throw error.inFile(url.path)
        }
    }

    /// Decodes `.kconv` bytes; `name` is the file to name in errors.
    package static func decode(_ data: Data, name: String) throws -> Contents {
        try data.withUnsafeBytes { try decode($0, name: name) }
    }

    /// Decodes `.kconv` bytes; `name` is the file to name in errors.
    package static func decode(_ bytes: [UInt8], name: String) throws -> Contents {
        try bytes.withUnsafeBytes { try decode($0, name: name) }
    }

    /// Whether `prefix` (a file's first bytes, at least 9 of them) looks like a safetensors file:
    /// a plausible header length followed by `{`. `fileSize`, when known, must hold the header.
    package static func looksLikeSafeTensors(_ prefix: some Collection<UInt8>, fileSize: Int? = nil) -> Bool {
        SafeTensors.looksLikeHeader(prefix, fileSize: fileSize)
    }

    static func decode(_ raw: UnsafeRawBufferPointer, name: String) throws -> Contents {
        do {
            return try decodeUnattributed(SafeTensors(raw, format: ".kconv"))
        } catch {
            throw error.inFile(name)
        }
    }

    private static func decodeUnattributed(_ file: SafeTensors) throws -> Contents {
        let meta = file.metadata
        guard meta["format"] == formatName else {
            if let other = meta["format"] {
                throw KerasError(.format, "is a safetensors file in format '\(other.clipped)', not a kconv model")
            }
            throw KerasError(.format, "is a safetensors file but not a kconv model (its __metadata__ has no \"format\": \"kconv\")")
        }
        guard let versionText = meta["format_version"] else {
            throw KerasError(.format, "the header's __metadata__ has no format_version")
        }
        guard let version = Int(versionText), version >= 1 else {
            throw KerasError(.format, "the header's format_version '\(versionText.clipped)' is not a positive integer")
        }
        guard version <= formatVersion else {
            throw KerasError(.unsupported, "was written in kconv format version \(version); this kconv reads version \(formatVersion) (update kconv)")
        }
        for key in ["graph", "keras_version", "source_name", "source_sha256"] where meta[key] == nil {
            throw KerasError(.format, "the header's __metadata__ has no '\(key)'")
        }
        let graphText = meta["graph"] ?? ""
        let graph: GraphSpec
        do {
            let json = try JSON(parsing: graphText, what: "the header's graph")
            guard json.objectValue != nil else { throw KerasError(.format, "it is not a JSON object") }
            graph = try GraphSpec(json: json)
        } catch let e as KerasError {
            throw KerasError(.format, "the header's graph is not a kconv graph: \(e.message)")
        } catch {
            throw KerasError(.format, "the header's graph is not a kconv graph: \(error)")
        }
        try graph.checkInputShapes(what: "the header's graph")
        let provenance = Provenance(kerasVersion: meta["keras_version"] ?? "", backend: meta["backend"],
                                    sourceName: meta["source_name"] ?? "", sourceSHA256: meta["source_sha256"] ?? "",
                                    weightsName: meta["source_weights_name"], weightsSHA256: meta["source_weights_sha256"])

        // Weights: the arrays read from the file, handed to the layers without a copy.
        let source = Weights(file: file)
        let model: LayerGraph
        do {
            model = try LayerGraph(spec: graph, version: KerasVersion(provenance.kerasVersion), weights: source)
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError(.format, "\(error)")
        }
        let unused = file.entries.map(\.name).filter { !$0.hasPrefix(testPrefix) && !source.used.contains($0) }
        if !unused.isEmpty {
            let list = unused.sorted().prefix(3).map { "'\($0.clipped)'" }.joined(separator: ", ")
            throw KerasError(.format, "\(unused.count) tensor(s) belong to no weight of the graph's layers: \(list)\(unused.count > 3 ? ", ..." : "")")
        }

        let vectors = try testVectors(file, metadata: meta, model: model)
        let annotations = try ModelAnnotations(metadata: meta)
        do { try annotations.check(inputs: model.inputShapes, outputs: model.outputShapes) } catch let error as KerasError {
            throw KerasError(.format, "the header's annotations do not fit the model: \(error.message)")
        }
        return Contents(graph: model, provenance: provenance, testVectors: vectors, annotations: annotations, metadata: meta)
    }

    /// The stored test vectors: all `__test__/` tensors, which must be exactly
    /// `input_0 ..< input_n` and `expected_0 ..< expected_m` for the model's n inputs and m outputs.
    private static func testVectors(_ file: SafeTensors, metadata: [String: String], model: LayerGraph) throws -> StoredTestVectors? {
        var inputs: [Int: SafeTensors.Entry] = [:], expected: [Int: SafeTensors.Entry] = [:]
        for e in file.entries where e.name.hasPrefix(testPrefix) {
            let rest = e.name.dropFirst(testPrefix.count)
            func index(after prefix: String) -> Int? {
                guard rest.hasPrefix(prefix) else { return nil }
                let digits = rest.dropFirst(prefix.count)
                guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                      digits == "0" || !digits.hasPrefix("0") else { return nil }
                return Int(digits)
            }
            if let i = index(after: "input_") { inputs[i] = e }
            else if let i = index(after: "expected_") { expected[i] = e }
            else { throw KerasError(.format, "unknown test tensor '\(e.name.clipped)' (expected \(testPrefix)input_<i> or \(testPrefix)expected_<i>)") }
        }
        if inputs.isEmpty && expected.isEmpty { return nil }
        guard inputs.count == model.inputShapes.count, Set(inputs.keys) == Set(0..<inputs.count) else {
            throw KerasError(.format, "the stored test inputs are \(inputs.keys.sorted()); the model has \(model.inputShapes.count) input(s), so input_0 ..< input_\(model.inputShapes.count) are needed")
        }
        guard expected.count == model.outputShapes.count, Set(expected.keys) == Set(0..<expected.count) else {
            throw KerasError(.format, "the stored expected outputs are \(expected.keys.sorted()); the model has \(model.outputShapes.count) output(s), so expected_0 ..< expected_\(model.outputShapes.count) are needed")
        }
        var tolerance: Float?
        if let text = metadata["test_tolerance"] {
            guard let t = Float(text), t.isFinite, t >= 0 else {
                throw KerasError(.format, "the header's test_tolerance '\(text.clipped)' is not a finite number ≥ 0")
            }
            tolerance = t
        }
        var inputTensors: [Tensor] = [], expectedTensors: [Tensor] = []
        for i in 0..<inputs.count {
            if let e = inputs[i] { inputTensors.append(try file.tensor(e)) }
        }
        for i in 0..<expected.count {
            if let e = expected[i] { expectedTensors.append(try file.tensor(e)) }
        }
        return StoredTestVectors(inputs: inputTensors, expected: expectedTensors,
                                 note: metadata["test_note"], tolerance: tolerance)
    }

    /// Hands the model builder each layer's tensors `<layer>/0`, `<layer>/1` ... and records which were used.
    private final class Weights: WeightSource {
        let file: SafeTensors
        var used = Set<String>()

        init(file: SafeTensors) { self.file = file }

        func weights(forLayer name: String) throws -> [WeightReader.Stored] {
            try entries(forLayer: name).map { entry in
                switch entry {
                case .stored(let w): return w
                case .inFile(let name, let rows): return WeightReader.Stored(name: name, tensor: try rows.tensor())
                }
            }
        }

        /// The layer's tensors; large ones stay in the file until the layer takes them.
        func entries(forLayer name: String) throws -> [WeightReader.Entry] {
            var out: [WeightReader.Entry] = []
            while let entry = file.entry(named: "\(name)/\(out.count)") {
                used.insert(entry.name)
                if let rows = file.rows(entry) {
                    out.append(.inFile(name: entry.name, rows: rows))
                } else {
                    out.append(.stored(WeightReader.Stored(name: entry.name, tensor: try file.tensor(entry))))
                }
            }
            return out
        }
    }
}
