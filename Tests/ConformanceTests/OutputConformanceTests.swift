import Foundation
import Testing
import KerasImport
import KerasRuntime

@Suite("Keras outputs")
struct OutputConformanceTests {
    @Test("kconv's outputs (and per-layer outputs where the case has them) match Keras' within the case's tolerance",
          arguments: ConformanceCase.all)
    func outputsMatchKeras(_ c: ConformanceCase) throws {
        let model = try c.load().model
        let inputs = try c.files("inputs").map { try Npy.read(URL(fileURLWithPath: $0)) }
        let expected = try c.files("expected").map { try Npy.read(URL(fileURLWithPath: $0)) }
        // Cases with `layers` also hold Keras' output of every layer (first output, first call).
        var layerReferences: [String: String] = [:]
        for path in c.files("layers") {
            layerReferences[URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent] = path
        }
        var checkedLayers: Set<String> = []
        let outputs = try model.predict(inputs) { layer, call, results in
            guard call == 0, let path = layerReferences[layer], let ours = results.first else { return }
            let comparison = try Comparison(ours: ours, expected: try Npy.read(URL(fileURLWithPath: path)), tolerance: c.tolerance)
            #expect(comparison.passed, "\(c.name) layer '\(layer)': \(comparison.report)")
            checkedLayers.insert(layer)
        }
        #expect(checkedLayers == Set(layerReferences.keys), "\(c.name): layers with a reference that never ran")
        try #require(outputs.count == expected.count, "\(c.name): \(outputs.count) outputs, Keras has \(expected.count)")
        for (i, (ours, ref)) in zip(outputs, expected).enumerated() {
            let comparison = try Comparison(ours: ours, expected: ref, tolerance: c.tolerance)
            #expect(comparison.passed, "\(c.name) output \(i): \(comparison.report)")
        }
    }
}
