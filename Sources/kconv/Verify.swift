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
            Exit status: 0 pass, 1 mismatch, 2 could not run.
            """
    )

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "An input .npy, one per model input, in order.")
    var input: [String] = []

    @Option(name: .long, help: "An expected output .npy, one per model output, in order.")
    var expected: [String] = []

    @Option(name: .long, help: "The tolerance T (default 1e-5, or the tolerance stored with a .kconv's test vectors).")
    var tolerance: Float?

    func validate() throws {
        if let tolerance, !(tolerance >= 0 && tolerance.isFinite) { throw ValidationError("--tolerance must be a finite number ≥ 0") }
    }

    func run() throws {
        let imported = try model.load()
        let m = imported.model
        let references: [Tensor], results: [Tensor], referenceNames: [String], tolerance: Float
        if input.isEmpty, expected.isEmpty, let converted = imported.converted {
            // A .kconv without --input/--expected: its stored test vectors.
            guard let vectors = converted.storedTestVectors else {
                throw KerasError(.invalidArgument, "has no stored test vectors: pass --input and --expected, or re-import with --test-input/--test-output (or --self-test)", file: model.model)
            }
            tolerance = self.tolerance ?? vectors.tolerance ?? 1e-5
            if let note = vectors.note { print("stored test vectors: \(note)") }
            references = vectors.expected
            referenceNames = vectors.expected.indices.map { "\(model.model) (stored expected_\($0))" }
            do { results = try m.predict(vectors.inputs) } catch let e as KerasError { throw e.inFile(model.model) }
        } else {
            guard expected.count == m.outputShapes.count else {
                throw KerasError(.invalidArgument, "the model has \(m.outputShapes.count) output(s); give one --expected for each (got \(expected.count))", file: model.model)
            }
            tolerance = self.tolerance ?? 1e-5
            references = try expected.map { try Npy.read(URL(fileURLWithPath: $0)) }
            referenceNames = expected
            results = try RunInputs.predict(m, inputs: input, modelPath: model.model)
        }
        var allPassed = true
        for (i, (ours, ref)) in zip(results, references).enumerated() {
            let comparison: Comparison
            do {
                comparison = try Comparison(ours: ours, expected: ref, tolerance: tolerance)
            } catch {
                throw error.inFile(referenceNames[i])
            }
            allPassed = allPassed && comparison.passed
            print("output \(i) '\(m.outputNames[i])' \(ours.shape): \(comparison.passed ? "PASS" : "FAIL") — \(comparison.report)")
        }
        print(allPassed ? "verify: PASS (tolerance \(tolerance))" : "verify: FAIL (tolerance \(tolerance))")
        if !allPassed { throw ExitCode(Exit.mismatch) }
    }
}
