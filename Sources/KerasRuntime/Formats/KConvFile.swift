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
///
/// Tensors: layer weights are named `"<layer name>/<index>"`, `index` being the weight's position in
/// the layer's ``Layer/weights`` (Keras' order); stored test vectors are `"__test__/input_<i>"` and
/// `"__test__/expected_<i>"`, one per model input and output. Weight tensors come first, in the
/// graph's layer order, then the test vectors; the header's keys are sorted, so the same model
/// always gives the same bytes.
///
/// ## Reading
///
/// The file is memory-mapped. Every length, offset, shape and dtype is checked before it is used:
/// a damaged or hostile file gives a ``KerasError``, never a trap or an out-of-bounds read. Weights
/// are copied once, from the mapping into the layers' `[Float]` storage; the mapping is released as
/// soon as the model is built.
public enum KConvFile {
    /// The value of the `format` metadata key.
    public static let formatName = "kconv"
    /// The format version this kconv writes and reads.
    public static let formatVersion = 1
    /// The largest header accepted (the limit of the reference safetensors implementation).
    public static let maxHeaderLength = 100_000_000
    /// The name prefix of stored test vectors.
    public static let testPrefix = "__test__/"

    /// Where a converted model came from: the metadata recorded next to its graph.
    public struct Provenance: Sendable, Equatable {
        /// The Keras release that wrote the source file (`"2.21.0"`, `"3.6.0"` ...).
        public var kerasVersion: String
        /// The backend the source file records (`tensorflow`, `jax` ...), if any.
        public var backend: String?
        /// The source model file's name (without its directory).
        public var sourceName: String
        /// The SHA-256 of the source model file, as 64 lowercase hex digits.
        public var sourceSHA256: String
        /// The separate weights file of a JSON architecture, if there was one: its name.
        public var weightsName: String?
        /// The SHA-256 of that weights file.
        public var weightsSHA256: String?

        public init(kerasVersion: String, backend: String?, sourceName: String, sourceSHA256: String,
                    weightsName: String? = nil, weightsSHA256: String? = nil) {
            self.kerasVersion = kerasVersion
            self.backend = backend
            self.sourceName = sourceName
            self.sourceSHA256 = sourceSHA256
            self.weightsName = weightsName
            self.weightsSHA256 = weightsSHA256
        }
    }

    /// Everything a `.kconv` file holds, decoded and checked.
    public struct Contents: Sendable {
        /// The model, built with the file's weights.
        public let model: Model
        /// Where the model came from.
        public let provenance: Provenance
        /// The stored test vectors, if the file has any.
        public let testVectors: StoredTestVectors?
        /// The header's whole `__metadata__` map.
        public let metadata: [String: String]
    }

    // MARK: Writing

    /// The `.kconv` bytes of `model`, with `testVectors` stored when given.
    ///
    /// Throws when the model has a layer that was never built (its weights are unknown), when a
    /// layer's name would collide with the test-vector prefix, or when the test vectors do not
    /// match the model's inputs and outputs in number.
    public static func encode(_ model: Model, provenance: Provenance, testVectors: StoredTestVectors? = nil) throws(KerasError) -> [UInt8] {
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
    public static func write(_ model: Model, provenance: Provenance, testVectors: StoredTestVectors? = nil, to url: URL) throws(KerasError) {
        let bytes: [UInt8]
        do { bytes = try encode(model, provenance: provenance, testVectors: testVectors) } catch {
            throw error.inFile(url.path)
        }
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw KerasError(.io, "cannot write: no such directory '\(directory)'", file: url.path)
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw KerasError(.io, "cannot write: is a directory", file: url.path)
        }
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw KerasError(.io, "cannot write: \((error as NSError).localizedDescription)", file: url.path)
        }
    }

    // MARK: Reading

    /// Reads, checks and builds the model in the `.kconv` file at `url` (memory-mapped).
    public static func read(contentsOf url: URL) throws(KerasError) -> Contents {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KerasError(.io, "no such file", file: path)
        }
        guard !isDirectory.boolValue else { throw KerasError(.io, "is a directory, not a .kconv file", file: path) }
        let data: Data
        do {
            // Mapped, so loading reads each weight byte once, straight into the layers' arrays.
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw KerasError(.io, "cannot be read: \((error as NSError).localizedDescription)", file: path)
        }
        return try decode(data, name: path)
    }

    /// Decodes `.kconv` bytes; `name` is the file to name in errors.
    public static func decode(_ data: Data, name: String) throws(KerasError) -> Contents {
        let result = data.withUnsafeBytes { decodeResult($0, name: name) }
        return try result.get()
    }

    /// Decodes `.kconv` bytes; `name` is the file to name in errors.
    public static func decode(_ bytes: [UInt8], name: String) throws(KerasError) -> Contents {
        let result = bytes.withUnsafeBytes { decodeResult($0, name: name) }
        return try result.get()
    }

    /// Whether `prefix` (a file's first bytes, at least 9 of them) looks like a safetensors file:
    /// a plausible header length followed by `{`. `fileSize`, when known, must hold the header.
    public static func looksLikeSafeTensors(_ prefix: some Collection<UInt8>, fileSize: Int? = nil) -> Bool {
        let head = Array(prefix.prefix(9))
        guard head.count == 9, head[8] == UInt8(ascii: "{") else { return false }
        let n = SafeTensors.readLength(head)
        guard n >= 2, n <= UInt64(maxHeaderLength) else { return false }
        if let fileSize { return UInt64(fileSize) >= 8 + n }
        return true
    }

    private static func decodeResult(_ raw: UnsafeRawBufferPointer, name: String) -> Result<Contents, KerasError> {
        do {
            return .success(try decode(raw, name: name))
        } catch {
            return .failure(error)
        }
    }

    static func decode(_ raw: UnsafeRawBufferPointer, name: String) throws(KerasError) -> Contents {
        do {
            return try decodeUnattributed(raw)
        } catch {
            throw error.inFile(name)
        }
    }

    private static func decodeUnattributed(_ raw: UnsafeRawBufferPointer) throws(KerasError) -> Contents {
        let file = try SafeTensors(raw)
        let meta = file.metadata
        guard meta["format"] == formatName else {
            if let other = meta["format"] {
                throw KerasError(.format, "is a safetensors file in format '\(Self.clip(other))', not a kconv model")
            }
            throw KerasError(.format, "is a safetensors file but not a kconv model (its __metadata__ has no \"format\": \"kconv\")")
        }
        guard let versionText = meta["format_version"] else {
            throw KerasError(.format, "the header's __metadata__ has no format_version")
        }
        guard let version = Int(versionText), version >= 1 else {
            throw KerasError(.format, "the header's format_version '\(Self.clip(versionText))' is not a positive integer")
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
        try checkInputShapes(graph)
        let provenance = Provenance(kerasVersion: meta["keras_version"] ?? "", backend: meta["backend"],
                                    sourceName: meta["source_name"] ?? "", sourceSHA256: meta["source_sha256"] ?? "",
                                    weightsName: meta["source_weights_name"], weightsSHA256: meta["source_weights_sha256"])

        // Weights: built straight from the mapping, each copied once.
        let source = Weights(file: file)
        let model: Model
        do {
            model = try Model(spec: graph, version: KerasVersion(provenance.kerasVersion), weights: source)
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError(.format, "\(error)")
        }
        let unused = file.entries.map(\.name).filter { !$0.hasPrefix(testPrefix) && !source.used.contains($0) }
        if !unused.isEmpty {
            let list = unused.sorted().prefix(3).map { "'\(Self.clip($0))'" }.joined(separator: ", ")
            throw KerasError(.format, "\(unused.count) tensor(s) belong to no weight of the graph's layers: \(list)\(unused.count > 3 ? ", ..." : "")")
        }

        let vectors = try testVectors(file, metadata: meta, model: model)
        return Contents(model: model, provenance: provenance, testVectors: vectors, metadata: meta)
    }

    /// The most elements one sample of a model input may have (2^40): far beyond any real model,
    /// low enough that shape arithmetic on it cannot overflow.
    static let maxInputSampleElements = 1 << 40

    /// Rejects input shapes (`batch_input_shape` anywhere in the graph, nested models included)
    /// whose sizes are negative or whose product is absurd, before shape inference multiplies them.
    private static func checkInputShapes(_ graph: GraphSpec) throws(KerasError) {
        func visit(_ value: JSON, depth: Int) throws(KerasError) {
            guard depth < 300 else { return }
            switch value {
            case .object(let members):
                if let shape = members["batch_input_shape"]?.arrayValue {
                    var product = 1
                    for d in shape.dropFirst() where !d.isNull {
                        guard let n = d.intValue, n >= 0 else {
                            throw KerasError(.format, "the header's graph has an input shape \(clip(JSON.array(shape).serialized)) with a size that is not an integer ≥ 0")
                        }
                        let (p, overflow) = product.multipliedReportingOverflow(by: n)
                        guard !overflow, p <= maxInputSampleElements else {
                            throw KerasError(.format, "the header's graph has an input shape \(clip(JSON.array(shape).serialized)) of more than 2^40 elements per sample")
                        }
                        product = p
                    }
                }
                for v in members.values { try visit(v, depth: depth + 1) }
            case .array(let items):
                for v in items { try visit(v, depth: depth + 1) }
            default:
                break
            }
        }
        for layer in graph.layers { try visit(.object(layer.config), depth: 0) }
    }

    /// The stored test vectors: all `__test__/` tensors, which must be exactly
    /// `input_0 ..< input_n` and `expected_0 ..< expected_m` for the model's n inputs and m outputs.
    private static func testVectors(_ file: SafeTensors, metadata: [String: String], model: Model) throws(KerasError) -> StoredTestVectors? {
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
            else { throw KerasError(.format, "unknown test tensor '\(Self.clip(e.name))' (expected \(testPrefix)input_<i> or \(testPrefix)expected_<i>)") }
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
                throw KerasError(.format, "the header's test_tolerance '\(Self.clip(text))' is not a finite number ≥ 0")
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
            var out: [WeightReader.Stored] = []
            while let entry = file.entry(named: "\(name)/\(out.count)") {
                used.insert(entry.name)
                out.append(WeightReader.Stored(name: entry.name, tensor: try file.tensor(entry)))
            }
            return out
        }
    }

    /// `text`, cut to 80 characters for an error message.
    static func clip(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(80)) + "…"
    }
}

/// Test vectors stored in a `.kconv` file: inputs and the outputs expected for them.
public struct StoredTestVectors: Sendable {
    /// One tensor per model input, in the model's input order.
    public var inputs: [Tensor]
    /// One tensor per model output, in the model's output order.
    public var expected: [Tensor]
    /// Where the vectors come from (Keras' own outputs, or kconv's self-test), if recorded.
    public var note: String?
    /// The tolerance they were checked at when stored, if recorded.
    public var tolerance: Float?

    public init(inputs: [Tensor], expected: [Tensor], note: String? = nil, tolerance: Float? = nil) {
        self.inputs = inputs
        self.expected = expected
        self.note = note
        self.tolerance = tolerance
    }

    /// Checks that there is one input per model input and one expected tensor per model output.
    func check(against model: Model) throws(KerasError) {
        guard inputs.count == model.inputShapes.count else {
            throw KerasError(.invalidArgument, "the model takes \(model.inputShapes.count) input(s); \(inputs.count) test input(s) given")
        }
        guard expected.count == model.outputShapes.count else {
            throw KerasError(.invalidArgument, "the model has \(model.outputShapes.count) output(s); \(expected.count) expected test output(s) given")
        }
    }
}

/// A checked safetensors header over a byte buffer (the mapped file), and the writer.
struct SafeTensors {
    /// One tensor of the header.
    struct Entry {
        let name: String
        let shape: [Int]
        /// Byte range relative to the start of the data area.
        let begin: Int
        let end: Int
    }

    let bytes: UnsafeRawBufferPointer
    /// Where the data area starts in `bytes` (8 + header length).
    let dataStart: Int
    let metadata: [String: String]
    /// Every tensor, in data order.
    let entries: [Entry]
    private let index: [String: Int]

    /// Reads a little-endian UInt64 from the first 8 bytes.
    static func readLength(_ bytes: some Collection<UInt8>) -> UInt64 {
        var n: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { n |= UInt64(b) << (8 * UInt64(i)) }
        return n
    }

    /// Parses and checks the header of the safetensors file in `bytes`.
    init(_ bytes: UnsafeRawBufferPointer) throws(KerasError) {
        self.bytes = bytes
        let size = bytes.count
        guard size >= 8 else {
            throw KerasError(.format, "is too short for a .kconv file: \(size) byte(s), a safetensors file starts with an 8-byte header length")
        }
        let n = SafeTensors.readLength(bytes)
        guard n <= UInt64(KConvFile.maxHeaderLength) else {
            throw KerasError(.format, "declares a \(n)-byte header, over the \(KConvFile.maxHeaderLength)-byte limit: not a .kconv file, or damaged")
        }
        guard n <= UInt64(size - 8) else {
            throw KerasError(.format, "is truncated: its header length \(n) runs past the end of the file (\(size) bytes)")
        }
        let headerLength = Int(n)
        dataStart = 8 + headerLength
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw KerasError(.format, "the safetensors header is not a JSON object (it does not start with '{')")
        }
        let json: JSON
        do {
            json = try JSON(parsing: UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), what: "the safetensors header")
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError(.format, "the safetensors header is not valid JSON: \(error)")
        }
        guard let top = json.objectValue else {
            throw KerasError(.format, "the safetensors header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        if let meta = top["__metadata__"] {
            guard let object = meta.objectValue else {
                throw KerasError(.format, "the header's __metadata__ is not a JSON object")
            }
            for (key, value) in object {
                guard let s = value.stringValue else {
                    throw KerasError(.format, "the header's __metadata__ value for '\(KConvFile.clip(key))' is not a string (safetensors metadata holds strings only)")
                }
                metadata[key] = s
            }
        }
        self.metadata = metadata

        let dataLength = size - dataStart
        var entries: [Entry] = []
        for (name, value) in top where name != "__metadata__" {
            entries.append(try SafeTensors.entry(name: name, value, dataLength: dataLength))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        var previous: Entry?
        for e in entries {
            if e.begin < position, let previous {
                throw KerasError(.format, "tensors '\(KConvFile.clip(previous.name))' (bytes \(previous.begin)..<\(previous.end)) and '\(KConvFile.clip(e.name))' (bytes \(e.begin)..<\(e.end)) overlap")
            }
            if e.begin > position {
                throw KerasError(.format, "the data has a gap at bytes \(position)..<\(e.begin) before tensor '\(KConvFile.clip(e.name))' (safetensors data must be contiguous)")
            }
            position = e.end
            previous = e
        }
        guard position == dataLength else {
            throw KerasError(.format, "the tensors cover \(position) byte(s) of data, but the file has \(dataLength) after the header (truncated, or trailing bytes)")
        }
        self.entries = entries
        self.index = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// One header entry, checked: dtype F32, a shape of non-negative sizes whose byte size fits, offsets
    /// in order, inside the data, and exactly as long as the shape needs.
    private static func entry(name: String, _ value: JSON, dataLength: Int) throws(KerasError) -> Entry {
        let label = "tensor '\(KConvFile.clip(name))'"
        guard let object = value.objectValue else {
            throw KerasError(.format, "\(label): its header entry is not an object")
        }
        guard let dtype = object["dtype"]?.stringValue else {
            throw KerasError(.format, "\(label) has no dtype")
        }
        guard dtype == "F32" else {
            throw KerasError(.unsupported, "\(label) has dtype \(KConvFile.clip(dtype)); .kconv files hold F32 tensors only")
        }
        guard let shapeItems = object["shape"]?.arrayValue else {
            throw KerasError(.format, "\(label) has no shape list")
        }
        guard shapeItems.count <= 64 else {
            throw KerasError(.format, "\(label) has \(shapeItems.count) dimensions (at most 64)")
        }
        var shape: [Int] = []
        for item in shapeItems {
            guard let d = item.intValue, d >= 0 else {
                throw KerasError(.format, "\(label) has shape \(KConvFile.clip(JSON.array(shapeItems).serialized)): sizes must be integers ≥ 0")
            }
            shape.append(d)
        }
        guard let count = Tensor.elementCount(shape) else {
            throw KerasError(.format, "\(label) has shape \(shape), whose element count overflows")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow else {
            throw KerasError(.format, "\(label) has shape \(shape), whose byte size overflows")
        }
        guard let offsets = object["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue else {
            throw KerasError(.format, "\(label) has no data_offsets [begin, end] of two integers")
        }
        guard begin >= 0, end >= begin else {
            throw KerasError(.format, "\(label) has data_offsets [\(begin), \(end)]: need 0 ≤ begin ≤ end")
        }
        guard end <= dataLength else {
            throw KerasError(.format, "\(label) has data_offsets [\(begin), \(end)] past the end of the data (\(dataLength) bytes): the file is truncated or damaged")
        }
        guard end - begin == byteCount else {
            throw KerasError(.format, "\(label) has shape \(shape) (\(byteCount) bytes of F32) but data_offsets [\(begin), \(end)] span \(end - begin) bytes")
        }
        return Entry(name: name, shape: shape, begin: begin, end: end)
    }

    func entry(named name: String) -> Entry? {
        index[name].map { entries[$0] }
    }

    /// The tensor of a checked entry, copied out of the buffer.
    func tensor(_ e: Entry) throws(KerasError) -> Tensor {
        let count = (e.end - e.begin) / 4
        let source = UnsafeRawBufferPointer(rebasing: bytes[(dataStart + e.begin)..<(dataStart + e.end)])
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let target = UnsafeMutableRawBufferPointer(buffer)
            target.copyMemory(from: source)  // Byte copy: no alignment needed.
            #if _endian(big)
            for i in 0..<count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
            #endif
            initialized = count
        }
        return try Tensor(shape: e.shape, scalars: scalars)
    }

    /// The safetensors bytes holding `tensors` (in this order) and `metadata`.
    static func encode(metadata: [String: String], tensors: [(name: String, tensor: Tensor)]) throws(KerasError) -> [UInt8] {
        var header: [String: JSON] = ["__metadata__": .object(metadata.mapValues { .string($0) })]
        var offset = 0
        for (name, t) in tensors {
            guard header[name] == nil else { throw KerasError(.invalidArgument, "two tensors are named '\(name)'") }
            guard Tensor.elementCount(t.shape) == t.scalars.count else {
                throw KerasError(.shape, "tensor '\(name)': shape \(t.shape) does not match \(t.scalars.count) elements")
            }
            let length = t.scalars.count * 4
            header[name] = .object([
                "dtype": .string("F32"),
                "shape": .array(t.shape.map { .number(Double($0)) }),
                "data_offsets": .array([.number(Double(offset)), .number(Double(offset + length))]),
            ])
            offset += length
        }
        var text = Array(JSON.object(header).serialized.utf8)
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        var out: [UInt8] = []
        out.reserveCapacity(8 + text.count + offset)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(text.count) >> (8 * UInt64(i)))) }
        out += text
        for (_, t) in tensors {
            #if _endian(little)
            t.scalars.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for x in t.scalars { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            #endif
        }
        return out
    }
}
