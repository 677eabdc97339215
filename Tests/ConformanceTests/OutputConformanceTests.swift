import Foundation
import Testing
import KerasImport
import KerasRuntime

@Suite("Keras outputs")
struct OutputConformanceTests {
    @Test("kconv's outputs match Keras' within the case's tolerance", arguments: ConformanceCase.all)
    func outputsMatchKeras(_ c: ConformanceCase) throws {
        let model = try c.load().model
        let inputs = try c.files("inputs").map { try Npy.read(URL(fileURLWithPath: $0)) }
        let expected = try c.files("expected").map { try Npy.read(URL(fileURLWithPath: $0)) }
        let outputs = try model.predict(inputs)
        try #require(outputs.count == expected.count, "\(c.name): \(outputs.count) outputs, Keras has \(expected.count)")
        for (i, (ours, ref)) in zip(outputs, expected).enumerated() {
            let comparison = try Comparison(ours: ours, expected: ref, tolerance: c.tolerance)
            #expect(comparison.passed, "\(c.name) output \(i): \(comparison.report)")
        }
    }
}
