import Foundation
import KConvOps

/// The name and shape of one model input or output.
public struct TensorDescription: Sendable, Equatable, CustomStringConvertible {
    /// The input's name (its `InputLayer`), or the output's name (the layer producing it, made
    /// unique with `_1`, `_2` ... as Keras' `model.output_names` does).
    public let name: String
    /// The shape, batch first; `nil` for a dimension fixed only at run time (normally the batch).
    public let shape: [Int?]

    public init(name: String, shape: [Int?]) {
        self.name = name
        self.shape = shape
    }

    /// `name (None, 200, 8, 1)`.
    public var description: String { "\(name) \(shape.kerasDescription)" }
}

/// A Keras model, ready to run: what an app embeds.
///
/// Load one from a `.kconv` file made by `kconv import` (no HDF5, no Python needed), then call
/// `predict(_:)` with a batch of any size:
///
/// ```swift
/// let model = try KerasModel(contentsOf: Bundle.module.url(forResource: "cnn_lstm", withExtension: "kconv")!)
/// let x = try Tensor(shape: [1, 4, 50, 8, 1], scalars: samples)
/// let y = try model.predict(x)          // shape [1, classes]
/// ```
///
/// Tools that read Keras files directly get the same type from `KerasImporter.load` (KerasImport).
/// A `KerasModel` is immutable: any number of threads may call `predict` on the same instance at
/// once (each call allocates its own intermediate tensors). Every error it throws is a ``KerasError``.
public final class KerasModel: Sendable {
    /// The built layer graph that runs.
    package let graph: LayerGraph
    /// The model's inputs, in order.
    public let inputs: [TensorDescription]
    /// The model's outputs, in order.
    public let outputs: [TensorDescription]
    /// Where the model came from (source file name and SHA-256, Keras version, backend), when known.
    public let provenance: Provenance?
    /// The test vectors stored with the model, if any (see ``verifyStoredTestVectors(tolerance:)``).
    public let storedTestVectors: StoredTestVectors?
    /// The class labels, input scaler and anomaly threshold kept with the model (empty when none).
    public let annotations: ModelAnnotations
    /// How this instance runs (thread cap), fixed when it is loaded.
    public let configuration: Configuration

    /// How a loaded model runs, chosen at load time; it never changes the results.
    public struct Configuration: Sendable, Equatable {
        /// The most threads one prediction uses; `nil` for every active processor. A server that runs
        /// several models side by side gives each a share of the cores. Values below 1 count as 1.
        public var threads: Int?

        /// - Parameter threads: the thread cap, `nil` for every active processor.
        public init(threads: Int? = nil) {
            self.threads = threads
        }
    }

    /// Loads a `.kconv` file (read into memory; weights are copied once into the layers).
    ///
    /// Throws a ``KerasError`` naming the file when it is missing, damaged, not a `.kconv` file,
    /// written by a newer kconv, or uses a layer this version does not run.
    public convenience init(contentsOf url: URL) throws {
        try self.init(contentsOf: url, configuration: Configuration())
    }

    /// Loads a `.kconv` file like ``init(contentsOf:)``, to run as `configuration` says.
    public convenience init(contentsOf url: URL, configuration: Configuration) throws {
        let contents = try KConvFile.read(contentsOf: url)
        try self.init(graph: contents.graph, provenance: contents.provenance, testVectors: contents.testVectors,
                      annotations: contents.annotations, configuration: configuration)
    }

    /// Wraps a built graph with where it came from and the test vectors to store with it.
    ///
    /// Throws when `testVectors` do not have one tensor per model input and output, or the
    /// annotations do not fit the model (see ``ModelAnnotations``).
    package convenience init(graph: LayerGraph, provenance: Provenance?, testVectors: StoredTestVectors? = nil,
                             annotations: ModelAnnotations = ModelAnnotations(),
                             configuration: Configuration = Configuration()) throws {
        try testVectors?.check(against: graph)
        try annotations.check(inputs: graph.inputShapes, outputs: graph.outputShapes)
        self.init(checked: graph, provenance: provenance, testVectors: testVectors, annotations: annotations,
                  configuration: configuration)
    }

    /// The designated initializer, once `testVectors` and `annotations` are known to fit `graph`.
    private init(checked graph: LayerGraph, provenance: Provenance?, testVectors: StoredTestVectors?,
                 annotations: ModelAnnotations, configuration: Configuration) {
        self.graph = graph
        self.provenance = provenance
        self.storedTestVectors = testVectors
        self.annotations = annotations
        self.configuration = configuration
        inputs = zip(graph.inputNames, graph.inputShapes).map { TensorDescription(name: $0, shape: $1) }
        var used = Set<String>(), counters: [String: Int] = [:]
        var outputs: [TensorDescription] = []
        for (name, shape) in zip(graph.outputNames, graph.outputShapes) {
            var proposal = name
            while used.contains(proposal) {
                let n = counters[name, default: 1]
                proposal = "\(name)_\(n)"
                counters[name] = n + 1
            }
            used.insert(proposal)
            outputs.append(TensorDescription(name: proposal, shape: shape))
        }
        self.outputs = outputs
    }

    /// The same model with other stored test vectors (checked against its inputs and outputs).
    package func storing(_ testVectors: StoredTestVectors?) throws -> KerasModel {
        try KerasModel(graph: graph, provenance: provenance, testVectors: testVectors, annotations: annotations,
                       configuration: configuration)
    }

    /// The same model (sharing its weights) to run as `configuration` says.
    package func configured(_ configuration: Configuration) -> KerasModel {
        KerasModel(checked: graph, provenance: provenance, testVectors: storedTestVectors, annotations: annotations,
                   configuration: configuration)
    }

    /// Runs `body` under this instance's thread cap.
    private func capped<R>(_ body: () throws -> R) rethrows -> R {
        try ThreadBudget.$cap.withValue(configuration.threads, operation: body)
    }

    /// The same model with other annotations (checked against its inputs and outputs).
    package func annotated(_ annotations: ModelAnnotations) throws -> KerasModel {
        try KerasModel(graph: graph, provenance: provenance, testVectors: storedTestVectors, annotations: annotations,
                       configuration: configuration)
    }

    /// The class labels kept with the model, in class-index order.
    public var labels: [String]? { annotations.labels }
    /// The input scaler kept with the model (``CSVSampleReader`` applies it to CSV rows).
    public var scaler: InputScaler? { annotations.scaler }
    /// The reconstruction error above which a sample is an anomaly, kept with the model.
    public var anomalyThreshold: Float? { annotations.anomalyThreshold }

    /// The layers, output shapes and parameter counts, as Keras' `model.summary()` prints them.
    public var summary: ModelSummary { ModelSummary(graph) }

    /// Runs a model with one input and one output on a batch.
    ///
    /// - Parameter input: shape `(batch, ...)` as ``inputs`` describes, any batch size ≥ 1.
    /// - Returns: the output for the whole batch, `(batch, ...)`.
    public func predict(_ input: Tensor) throws -> Tensor {
        guard inputs.count == 1, outputs.count == 1 else {
            throw KerasError(.invalidArgument, "the model has \(inputs.count) input(s) and \(outputs.count) output(s); use predict([Tensor]) or predict([String: Tensor])")
        }
        let results = try predict([input])
        guard let first = results.first else {
            throw KerasError(.format, "internal: the model returned no output")
        }
        return first
    }

    /// Runs the model on a batch: one tensor per input, in ``inputs`` order; one result per output,
    /// in ``outputs`` order. All inputs must have the same batch size.
    public func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        try capped { try graph.predict(inputs, observing: nil) }
    }

    /// Runs the model like ``predict(_:)-([Tensor])`` and hands every layer call's outputs to
    /// `observer`, in execution order: the layer's name, the call's index (0 for the first call of a
    /// shared layer), and the outputs — for finding the first layer whose outputs leave Keras'.
    public func predict(_ inputs: [Tensor],
                        observing observer: (_ layer: String, _ call: Int, _ outputs: [Tensor]) throws -> Void) throws -> [Tensor] {
        try withoutActuallyEscaping(observer) { observer in try capped { try graph.predict(inputs, observing: observer) } }
    }

    /// Runs the model on the next chunk of time steps of the same sequences, carrying the recurrent
    /// layers' states in `state` from one call to the next, as Keras does for `stateful` layers —
    /// for streaming sensor data window by window. One tensor per input, one result per output.
    ///
    /// ```swift
    /// var state = RecurrentState()
    /// for chunk in chunks { let y = try model.predict([chunk], carrying: &state) }   // (batch, t, features)
    /// state.reset()                                                                 // a new sequence
    /// ```
    ///
    /// The batch size must stay the same from chunk to chunk. Layers that read a sequence backwards
    /// (Bidirectional, `go_backwards`) or recur inside another layer (TimeDistributed around an RNN,
    /// ConvLSTM, nested models with RNNs) are refused.
    public func predict(_ inputs: [Tensor], carrying state: inout RecurrentState) throws -> [Tensor] {
        var carried = state
        let outputs = try capped { try graph.predict(inputs, carrying: &carried) }
        state = carried
        return outputs
    }

    /// Runs the model on a batch from Swift concurrency: ``predict(_:)-([Tensor])`` on the
    /// cooperative thread pool, off the caller's actor (the main actor stays free while it runs).
    public func prediction(for inputs: [Tensor]) async throws -> [Tensor] {
        try predict(inputs)
    }

    /// Runs the model with named inputs and outputs (``predict(_:)-([String:Tensor])``) from Swift
    /// concurrency, off the caller's actor.
    public func prediction(for inputs: [String: Tensor]) async throws -> [String: Tensor] {
        try predict(inputs)
    }

    /// Whether ``predict(_:carrying:)`` can run the model chunk by chunk: it has recurrent layers,
    /// and none that reads backwards or recurs inside another layer.
    public var supportsStreaming: Bool {
        graph.layers.contains { $0 is any RecurrentLayer } && graph.layers.allSatisfy { LayerGraph.streamingObstacle($0) == nil }
    }

    /// Runs the model with inputs and outputs keyed by their names (``TensorDescription/name``).
    ///
    /// Every input must be given, and no other key.
    public func predict(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        let names = self.inputs.map(\.name)
        if let unknown = inputs.keys.sorted().first(where: { !names.contains($0) }) {
            throw KerasError(.invalidArgument, "the model has no input named '\(unknown)' (its inputs: \(names.joined(separator: ", ")))")
        }
        var ordered: [Tensor] = []
        for name in names {
            guard let t = inputs[name] else {
                throw KerasError(.invalidArgument, "input '\(name)' is missing (the model's inputs: \(names.joined(separator: ", ")))")
            }
            ordered.append(t)
        }
        let results = try predict(ordered)
        return Dictionary(uniqueKeysWithValues: zip(outputs.map(\.name), results))
    }

    /// Runs the stored test inputs and compares the results with the stored expected outputs.
    ///
    /// - Parameter tolerance: an element passes when |ours − ref| ≤ T·(1 + |ref|); by default the
    ///   tolerance recorded with the vectors, else `1e-5`.
    /// - Returns: one ``Comparison`` per output; check ``Comparison/passed``.
    /// - Throws: when the model has no stored test vectors, or they cannot be run.
    public func verifyStoredTestVectors(tolerance: Float? = nil) throws -> [Comparison] {
        guard let vectors = storedTestVectors else {
            throw KerasError(.invalidArgument, "the model has no stored test vectors")
        }
        let t = tolerance ?? vectors.tolerance ?? 1e-5
        let results = try predict(vectors.inputs)
        var comparisons: [Comparison] = []
        for (ours, expected) in zip(results, vectors.expected) {
            comparisons.append(try Comparison(ours: ours, expected: expected, tolerance: t))
        }
        return comparisons
    }

    /// The `.kconv` bytes of this model (with its provenance and stored test vectors).
    public func kconvBytes() throws -> [UInt8] {
        try KConvFile.encode(graph, provenance: provenanceToWrite, testVectors: storedTestVectors, annotations: annotations)
    }

    /// Writes this model as a `.kconv` file, replacing any file at `url` atomically (a failed write
    /// leaves the old file whole).
    public func write(to url: URL) throws {
        try KConvFile.write(graph, provenance: provenanceToWrite, testVectors: storedTestVectors, annotations: annotations, to: url)
    }

    private var provenanceToWrite: Provenance {
        provenance ?? Provenance(kerasVersion: graph.kerasVersion.string, backend: nil, sourceName: "", sourceSHA256: "")
    }
}
