import ArgumentParser
import Foundation
import KerasImport
import KerasRuntime
import TypedModelGenerator

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a Keras model to a single .kconv file (safetensors) that KerasRuntime loads without HDF5 or Python.",
        discussion: """
            Test vectors stored in the file let `kconv verify OUT.kconv` (and \
            KerasModel.verifyStoredTestVectors in an app) prove the converted model later. Give Keras' \
            own inputs and outputs with --test-input/--test-output: they are checked against the model \
            (at --tolerance) before anything is written. --self-test instead stores the model's own \
            outputs for seeded random inputs; those prove only that the file round-trips, not that \
            kconv matches Keras.
            """
    )

    @OptionGroup var source: ModelFile

    @OptionGroup var threadCap: ThreadCap

    @Option(name: [.short, .customLong("output")], help: "The .kconv file to write.")
    var output: String

    @Option(name: .customLong("test-input"), help: "A test input .npy to store, one per model input, in order.")
    var testInput: [String] = []

    @Option(name: .customLong("test-output"), help: "The expected output .npy for the test inputs, one per model output, in order.")
    var testOutput: [String] = []

    @Flag(name: .customLong("self-test"), help: "Store the model's own outputs for seeded inputs (uniform [-1, 1), batch 2, unknown dimensions 8).")
    var selfTest = false

    @Option(name: .long, help: "The tolerance T the given test vectors must meet, and that is stored with them.")
    var tolerance: Float = 1e-5

    @Option(name: .long, help: ArgumentHelp("Also write a typed Swift wrapper of the model to this .swift file.", valueName: "file.swift"))
    var swift: String?

    @Option(name: .customLong("type-name"), help: "The Swift type's name with --swift (default: the Keras model's name, made a Swift identifier).")
    var typeName: String?

    @Option(name: .long, help: "A text file of class labels, one per line in class-index order, to keep with the model.")
    var labels: String?

    @Option(name: .long, help: "A scaler JSON (scikit-learn's fitted StandardScaler or MinMaxScaler; see Tools/scaler_json.py) that 'predict --csv' and 'score' apply to the rows.")
    var scaler: String?

    @Option(name: .long, help: "The anomaly threshold 'kconv score' flags reconstruction errors above.")
    var threshold: Float?

    func validate() throws {
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a finite number ≥ 0") }
        if selfTest && !(testInput.isEmpty && testOutput.isEmpty) {
            throw ValidationError("use either --test-input/--test-output or --self-test, not both")
        }
        if let threshold, !threshold.isFinite { throw ValidationError("--threshold must be a finite number") }
        if testInput.isEmpty != testOutput.isEmpty {
            throw ValidationError("--test-input and --test-output go together: give the inputs and the outputs Keras computed for them")
        }
        if typeName != nil && swift == nil {
            throw ValidationError("--type-name names the type that --swift writes; give --swift too")
        }
    }

    /// The seed of `--self-test` inputs.
    static let selfTestSeed: UInt64 = 20_240_601

    func run() throws {
        try checkSwiftPath()
        let inputs = [(self.source.path, "source model")] + (self.source.weights.map { [($0, "weights file")] } ?? [])
            + testInput.map { ($0, "test input") } + testOutput.map { ($0, "test output") }
            + (labels.map { [($0, "labels file")] } ?? []) + (scaler.map { [($0, "scaler JSON")] } ?? [])
        try OutputGuard.check(outputs: [output] + (swift.map { [$0] } ?? []), inputs: inputs)
        var model = try self.source.load(recordingProvenance: true).configured(threadCap.configuration)
        // A .kconv keeps its annotations unless new ones are given; each is checked against the model.
        var annotations = model.annotations
        if let labels {
            annotations.labels = try ModelAnnotations.readLabels(URL(fileURLWithPath: labels))
            do { model = try model.annotated(annotations) } catch { throw error.inFile(labels) }
        }
        if let scaler {
            annotations.scaler = try InputScaler(contentsOf: URL(fileURLWithPath: scaler))
            do { model = try model.annotated(annotations) } catch { throw error.inFile(scaler) }
        }
        if let threshold {
            annotations.anomalyThreshold = threshold
            model = try model.annotated(annotations)
        }

        // Test vectors.
        var vectors: StoredTestVectors?
        /// The source model's outputs for the vectors' inputs, once computed.
        var sourceOutputs: [Tensor]?
        if !testInput.isEmpty {
            guard testOutput.count == model.outputs.count else {
                throw KerasError(.invalidArgument, "the model has \(model.outputs.count) output(s) (\(model.outputs.map(\.name).joined(separator: ", "))); give one --test-output for each (got \(testOutput.count))", file: self.source.path)
            }
            let inputs = try RunInputs.read(testInput, for: model, modelPath: self.source.path)
            let expected = try testOutput.map { try Npy.read(URL(fileURLWithPath: $0)) }
            let results = try RunInputs.run(model, on: inputs, modelPath: self.source.path)
            sourceOutputs = results
            var passed = true
            for (i, (ours, ref)) in zip(results, expected).enumerated() {
                let comparison: Comparison
                do { comparison = try Comparison(ours: ours, expected: ref, tolerance: tolerance) } catch {
                    throw error.inFile(testOutput[i])
                }
                passed = passed && comparison.passed
                print("test output \(i) '\(model.outputs[i].name)' \(ours.shape): \(comparison.passed ? "PASS" : "FAIL") — \(comparison.report)")
            }
            guard passed else {
                FileHandle.standardError.write(Data("error: \(self.source.path): the model does not reproduce the given test outputs at tolerance \(tolerance); nothing written\n".utf8))
                throw ExitCode(Exit.mismatch)
            }
            let files = zip(testInput.indices, testInput).map { "input_\($0) from \(Self.fileName($1))" }
                + zip(testOutput.indices, testOutput).map { "expected_\($0) from \(Self.fileName($1))" }
            vectors = StoredTestVectors(inputs: inputs, expected: expected,
                                        note: "reference vectors given to kconv import: " + files.joined(separator: ", "),
                                        tolerance: tolerance)
        } else if selfTest {
            var rng = SplitMix64(seed: Self.selfTestSeed)
            let inputs = model.inputs.map(\.shape).map { shape -> Tensor in
                let dims = shape.enumerated().map { i, d in i == 0 ? 2 : (d ?? 8) }
                let count = Tensor.elementCount(dims) ?? 0
                return Tensor(shape: dims, uniformFrom: &rng, count: count)
            }
            let expected: [Tensor]
            do { expected = try model.predict(inputs) } catch { throw error.inFile(self.source.path) }
            sourceOutputs = expected
            vectors = StoredTestVectors(inputs: inputs, expected: expected,
                                        note: "self-test: kconv's own outputs for seeded uniform [-1, 1) inputs (seed \(Self.selfTestSeed)); they prove only that this file round-trips, not that kconv matches Keras",
                                        tolerance: tolerance)
        }

        if vectors == nil {
            vectors = model.storedTestVectors  // Re-importing a .kconv keeps its vectors.
        }

        // The provenance (source files' names and SHA-256) came with the model; a .kconv keeps its own.
        let url = URL(fileURLWithPath: output)
        try model.storing(vectors).write(to: url)

        // Read the file back: it must load and give bit-identical outputs.
        let written = try KerasModel(contentsOf: url)
        if let vectors {
            let again = try written.predict(vectors.inputs)
            let before = try sourceOutputs ?? RunInputs.run(model, on: vectors.inputs, modelPath: self.source.path)
            guard again.map(\.scalars).map({ $0.map(\.bitPattern) }) == before.map(\.scalars).map({ $0.map(\.bitPattern) }) else {
                throw KerasError(.format, "internal: the written file does not reproduce the source model's outputs bit for bit", file: output)
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        let origin = model.provenance.map { " from \($0.sourceName) (sha256 \($0.sourceSHA256.prefix(16))…, Keras \($0.kerasVersion))" } ?? ""
        print("wrote \(output): \(size) bytes, \(model.summary.totalParameters) parameters, \(model.graph.layers.count) layers,\(origin)")
        if let labels = model.labels { print("labels: \(labels.joined(separator: ", "))") }
        if let scaler = model.scaler { print("scaler: \(scaler.kind.rawValue) on \(scaler.featureCount) features") }
        if let threshold = model.anomalyThreshold { print("anomaly threshold: \(threshold)") }
        if let vectors {
            print("stored test vectors: \(vectors.inputs.count) input(s), \(vectors.expected.count) output(s), tolerance \(vectors.tolerance ?? tolerance); reloaded outputs are bit-identical")
            if selfTest {
                print("note: self-test vectors are kconv's own outputs: they prove only that the file round-trips, not that kconv matches Keras (use --test-input/--test-output with Keras' outputs for that)")
            }
        } else {
            print("no test vectors stored (add --test-input/--test-output, or --self-test)")
        }
        if let swift {
            try writeSwiftWrapper(of: written, to: swift)
        }
    }

    /// Refuses a `--swift` path that is one of the command's other files, before anything is written.
    private func checkSwiftPath() throws {
        guard let swift else { return }
        let given = [source.path, source.weights, output].compactMap { $0 } + testInput + testOutput
        guard !given.map({ URL(fileURLWithPath: $0).standardizedFileURL.path }).contains(URL(fileURLWithPath: swift).standardizedFileURL.path) else {
            throw KerasError(.invalidArgument, "--swift would write over an input or the .kconv output", file: swift)
        }
    }

    /// The typed wrapper of the written model (`TypedModelGenerator`), loading `OUT.kconv` by name.
    private func writeSwiftWrapper(of model: KerasModel, to path: String) throws {
        let resource = URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent
        let generator = TypedModelGenerator(typeName: typeName ?? model.summary.modelName, resourceName: resource, usesModuleBundle: false)
        do {
            try Data(generator.source(for: model).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw KerasError(.io, "cannot write it: \(error.localizedDescription)", file: path)
        }
        print("wrote \(path): struct \(generator.typeName), loading \(resource).kconv")
    }

    static func fileName(_ path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent
    }
}

extension Tensor {
    /// `count` uniform [-1, 1) values from `rng`, in shape `shape` (which must hold `count` elements).
    init(shape: [Int], uniformFrom rng: inout SplitMix64, count: Int) {
        var scalars = [Float](repeating: 0, count: count)
        for i in 0..<count { scalars[i] = rng.nextSigned() }
        self = (try? Tensor(shape: shape, scalars: scalars)) ?? Tensor(zeros: [0])
    }
}
