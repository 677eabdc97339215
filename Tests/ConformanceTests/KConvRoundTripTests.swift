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
        let inputs = try c.files("inputs").map { try Npy.read(URL(fileURLWithPath: $0)) }
        let expected = try c.files("expected").map { try Npy.read(URL(fileURLWithPath: $0)) }
        let provenance = try #require(imported.provenance)
        let vectors = StoredTestVectors(inputs: inputs, expected: expected, note: "Keras' outputs (\(c.name))", tolerance: c.tolerance)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-rt-\(c.name)-\(UUID().uuidString).kconv")
        defer { try? FileManager.default.removeItem(at: url) }
        try imported.storing(vectors).write(to: url)
        let converted = try KerasModel(contentsOf: url)

        // Same graph, same summary.
        #expect(converted.graph.spec.json == imported.graph.spec.json)
        #expect(converted.summary.json == imported.summary.json)
        #expect(converted.provenance == provenance)

        // Bit-identical outputs.
        let fromKeras = try imported.predict(inputs)
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
        #expect(try converted.kconvBytes()
                == Array(Data(contentsOf: url)))
    }
}
