import ArgumentParser
import Foundation
import KerasImport
import KerasRuntime

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the model and compare its outputs with reference arrays.",
        discussion: """
            An element passes when |ours - ref| <= T * (1 + |ref|). Prints, per output, the maximum \
            absolute and relative error, the maximum ULP distance and the worst element. \
            A .kconv file given without --input/--expected is checked against its stored test vectors. \
            With --layers DIR (written by `Tools/keras_reference.py --layers`), each layer's first \
            output is also compared with Keras' DIR/<layer name>.npy, and the first layer outside \
            the tolerance, in execution order, is named. \
            Exit status: 0 pass, 1 mismatch, 2 could not run.
            """
    )

    @OptionGroup var source: ModelFile

    @OptionGroup var threadCap: ThreadCap

    @Option(name: .long, help: "An input .npy, one per model input, in order.")
    var input: [String] = []

    @Option(name: .long, help: "An expected output .npy, one per model output, in order.")
    var expected: [String] = []

    @Option(name: .long, help: "The tolerance T (default 1e-5, or the tolerance stored with a .kconv's test vectors).")
    var tolerance: Float?

    @Option(name: .long, help: "A directory of Keras' per-layer outputs (<layer name>.npy) to find the first diverging layer.")
    var layers: String?

    @Flag(name: .long, help: "Print one JSON report (per output: max abs/rel error, max ULP, worst index, failing count) instead of text.")
    var json = false

    func validate() throws {
        if let tolerance, !(tolerance >= 0 && tolerance.isFinite) { throw ValidationError("--tolerance must be a finite number ≥ 0") }
    }

    func run() throws {
        let model = try source.load().configured(threadCap.configuration)
        let inputs: [Tensor], references: [Tensor], referenceNames: [String], tolerance: Float
        if input.isEmpty, expected.isEmpty, source.isKConv {
            // A .kconv without --input/--expected: its stored test vectors.
            guard let vectors = model.storedTestVectors else {
                throw KerasError(.invalidArgument, "has no stored test vectors: pass --input and --expected, or re-import with --test-input/--test-output (or --self-test)", file: source.path)
            }
            tolerance = self.tolerance ?? vectors.tolerance ?? 1e-5
            if let note = vectors.note, !json { print("stored test vectors: \(note)") }
            inputs = vectors.inputs
            references = vectors.expected
            referenceNames = vectors.expected.indices.map { "\(source.path) (stored expected_\($0))" }
        } else {
            guard expected.count == model.outputs.count else {
                throw KerasError(.invalidArgument, "the model has \(model.outputs.count) output(s); give one --expected for each (got \(expected.count))", file: source.path)
            }
            tolerance = self.tolerance ?? 1e-5
            inputs = try RunInputs.read(input, for: model, modelPath: source.path)
            references = try expected.map { try Npy.read(URL(fileURLWithPath: $0)) }
            referenceNames = expected
        }
        var layerCheck = try layers.map { try LayerCheck(directory: $0, model: model, tolerance: tolerance) }
        let results = try RunInputs.run(model, on: inputs, modelPath: source.path,
                                        observing: layers == nil ? nil : { try layerCheck?.observe(layer: $0, call: $1, outputs: $2) })
        var comparisons: [Comparison] = []
        for (i, (ours, ref)) in zip(results, references).enumerated() {
            do {
                comparisons.append(try Comparison(ours: ours, expected: ref, tolerance: tolerance))
            } catch {
                throw error.inFile(referenceNames[i])
            }
        }
        let allPassed = comparisons.allSatisfy(\.passed)
        if json {
            var report: [String: JSON] = [
                "passed": .bool(allPassed), "tolerance": .number(Double(tolerance).shortestFloat),
                "outputs": .array(comparisons.enumerated().map { i, c in c.json(name: model.outputs[i].name) }),
            ]
            if let layerCheck { report["layers"] = layerCheck.json }
            print(JSON.object(report).serialized)
        } else {
            for (i, c) in comparisons.enumerated() {
                print("output \(i) '\(model.outputs[i].name)' \(c.shape): \(c.passed ? "PASS" : "FAIL") — \(c.report)")
            }
            layerCheck?.printReport()
            print(allPassed ? "verify: PASS (tolerance \(tolerance))" : "verify: FAIL (tolerance \(tolerance))")
        }
        if !allPassed { throw ExitCode(Exit.mismatch) }
    }
}

/// `verify --layers`: compares each layer's first output with Keras' `<layer name>.npy` and
/// remembers the first layer, in execution order, outside the tolerance.
struct LayerCheck {
    let directory: URL
    let tolerance: Float
    let classNames: [String: String]
    private(set) var compared = 0
    private(set) var firstFailure: (layer: String, comparison: Comparison)?

    init(directory: String, model: KerasModel, tolerance: Float) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw KerasError(.io, "is not a directory of per-layer outputs", file: directory)
        }
        self.directory = URL(fileURLWithPath: directory)
        self.tolerance = tolerance
        classNames = Dictionary(model.graph.layers.map { ($0.name, $0.className) }, uniquingKeysWith: { a, _ in a })
    }

    mutating func observe(layer: String, call: Int, outputs: [Tensor]) throws {
        let file = directory.appendingPathComponent("\(layer).npy")
        guard call == 0, let ours = outputs.first, FileManager.default.fileExists(atPath: file.path) else { return }
        let comparison: Comparison
        do {
            comparison = try Comparison(ours: ours, expected: try Npy.read(file), tolerance: tolerance)
        } catch {
            throw error.inFile(file.path)
        }
        compared += 1
        if firstFailure == nil, !comparison.passed { firstFailure = (layer, comparison) }
    }

    /// `{"compared", "first_diverging": null | {"layer", "class_name", ...comparison}}`.
    var json: JSON {
        .object([
            "compared": .number(Double(compared)),
            "first_diverging": firstFailure.map { $0.comparison.json(name: $0.layer, className: classNames[$0.layer]) } ?? .null,
        ])
    }

    func printReport() {
        if let (layer, comparison) = firstFailure {
            print("layers: \(compared) compared; first diverging layer: '\(layer)' (\(classNames[layer] ?? "?")) — \(comparison.report)")
        } else {
            print("layers: \(compared) compared, all within tolerance \(tolerance)")
        }
    }
}

extension Comparison {
    /// One output's (or layer's) numbers for `verify --json`; non-finite errors are strings.
    func json(name: String, className: String? = nil) -> JSON {
        func number(_ x: Float) -> JSON { x.isFinite ? .number(Double(x).shortestFloat) : .string("\(x)") }
        func index(_ e: Element?) -> JSON { e.map { .array($0.index.map { .number(Double($0)) }) } ?? .null }
        var o: [String: JSON] = [
            "name": .string(name), "shape": .array(shape.map { .number(Double($0)) }), "passed": .bool(passed),
            "max_abs": number(maxAbsoluteError), "max_rel": number(maxRelativeError),
            "max_ulp": .number(Double(maxULPDistance)), "worst_index": index(worst), "first_failure_index": index(firstFailure),
            "failing": .number(Double(failingCount)), "count": .number(Double(count)), "nan_in_both": .number(Double(sharedNaNCount)),
        ]
        if let className { o["class_name"] = .string(className) }
        return .object(o)
    }
}

extension Double {
    /// This value (a Float widened) with the digits of the Float's shortest representation, so JSON
    /// shows `1e-05` rather than `9.999999747378752e-06`.
    var shortestFloat: Double { Double("\(Float(self))") ?? self }
}
