import Foundation
import Testing
import KerasImport
import KerasRuntime

/// Every conformance case through `.kconv`: Keras file → `.kconv` (with Keras' vectors stored) →
/// `KerasModel`, which must give bit-identical outputs to the model read from the Keras file and
/// pass its stored vectors.
@Suite(".kconv round trip of every conformance case")
struct KConvRoundTripTests {
    @Test("h5 → .kconv → predictions bit-identical, stored vectors verify", arguments: ConformanceCase.all)
    func roundTrip(_ c: ConformanceCase) throws {
        let imported = try c.load()
        try #require(imported.hasWeights, "\(c.name) has no weights")
        let inputs = try c.files("inputs").map { try Npy.read(URL(fileURLWithPath: $0)) }
        let expected = try c.files("expected").map { try Npy.read(URL(fileURLWithPath: $0)) }
        let provenance = try imported.provenance()
        let vectors = StoredTestVectors(inputs: inputs, expected: expected, note: "Keras' outputs (\(c.name))", tolerance: c.tolerance)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-rt-\(c.name)-\(UUID().uuidString).kconv")
        defer { try? FileManager.default.removeItem(at: url) }
        try KConvFile.write(imported.model, provenance: provenance, testVectors: vectors, to: url)
        let converted = try KerasModel(contentsOf: url)

        // Same graph, same summary.
        #expect(converted.model.spec.json == imported.model.spec.json)
        #expect(ModelSummary(converted.model).json == ModelSummary(imported.model).json)
        #expect(converted.provenance == provenance)

        // Bit-identical outputs.
        let fromKeras = try imported.model.predict(inputs)
        let fromKConv = try converted.predict(inputs)
        try #require(fromKConv.count == fromKeras.count)
        for (i, (a, b)) in zip(fromKConv, fromKeras).enumerated() {
            #expect(a.shape == b.shape, "\(c.name) output \(i)")
            #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern), "\(c.name) output \(i) differs from the h5 path")
        }

        // The stored Keras vectors verify.
        let comparisons = try converted.verifyStoredTestVectors()
        #expect(comparisons.count == expected.count)
        for (i, comparison) in comparisons.enumerated() {
            #expect(comparison.passed, "\(c.name) output \(i): \(comparison.report)")
        }

        // The same model always gives the same bytes.
        #expect(try KConvFile.encode(converted.model, provenance: provenance, testVectors: vectors)
                == Array(Data(contentsOf: url)))
    }
}
