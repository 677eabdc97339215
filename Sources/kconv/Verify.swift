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
            Exit status: 0 pass, 1 mismatch, 2 could not run.
            """
    )

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "An input .npy, one per model input, in order.")
    var input: [String] = []

    @Option(name: .long, help: "An expected output .npy, one per model output, in order.")
    var expected: [String] = []

    @Option(name: .long, help: "The tolerance T.")
    var tolerance: Float = 1e-5

    func validate() throws {
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a finite number ≥ 0") }
    }

    func run() throws {
        let imported = try model.load()
        let m = imported.model
        guard expected.count == m.outputShapes.count else {
            throw KerasError(.invalidArgument, "the model has \(m.outputShapes.count) output(s); give one --expected for each (got \(expected.count))", file: model.model)
        }
        let references = try expected.map { try Npy.read(URL(fileURLWithPath: $0)) }
        let results = try RunInputs.predict(m, inputs: input, modelPath: model.model)
        var allPassed = true
        for (i, (ours, ref)) in zip(results, references).enumerated() {
            let comparison: Comparison
            do {
                comparison = try Comparison(ours: ours, expected: ref, tolerance: tolerance)
            } catch {
                throw error.inFile(expected[i])
            }
            allPassed = allPassed && comparison.passed
            print("output \(i) '\(m.outputNames[i])' \(ours.shape): \(comparison.passed ? "PASS" : "FAIL") — \(comparison.report)")
        }
        print(allPassed ? "verify: PASS (tolerance \(tolerance))" : "verify: FAIL (tolerance \(tolerance))")
        if !allPassed { throw ExitCode(Exit.mismatch) }
    }
}
