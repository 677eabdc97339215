import Foundation
import Testing
import KerasImport
import KerasRuntime

@Suite("Keras outputs")
struct OutputConformanceTests {
    @Test("kconv's outputs (and per-layer outputs where the case has them) match Keras' within the case's tolerance",
          arguments: ConformanceCase.all)
    func outputsMatchKeras(_ c: ConformanceCase) throws {
        let model = try c.load()
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

    @Test("chunk by chunk with carried states, as Keras predicts with stateful layers",
          arguments: ConformanceCase.all.filter { $0.manifest["chunks"] != nil })
    func streamedChunksMatchKeras(_ c: ConformanceCase) throws {
        let model = try c.load()
        let chunks = c.manifest["chunks"]?.arrayValue ?? []
        try #require(!chunks.isEmpty)
        var state = RecurrentState()
        for (k, chunk) in chunks.enumerated() {
            func files(_ key: String) -> [String] { (chunk[key]?.arrayValue ?? []).compactMap(\.stringValue).map(c.path) }
            let inputs = try files("inputs").map { try Npy.read(URL(fileURLWithPath: $0)) }
            let expected = try files("expected").map { try Npy.read(URL(fileURLWithPath: $0)) }
            let outputs = try model.predict(inputs, carrying: &state)
            try #require(outputs.count == expected.count)
            for (i, (ours, ref)) in zip(outputs, expected).enumerated() {
                let comparison = try Comparison(ours: ours, expected: ref, tolerance: c.tolerance)
                #expect(comparison.passed, "\(c.name) chunk \(k) output \(i): \(comparison.report)")
            }
            #expect(!state.isEmpty)
        }
        // After reset() the first chunk gives Keras' first-chunk outputs again.
        state.reset()
        let first = try (chunks[0]["inputs"]?.arrayValue ?? []).compactMap(\.stringValue).map { try Npy.read(URL(fileURLWithPath: c.path($0))) }
        let again = try model.predict(first, carrying: &state)
        let firstExpected = try (chunks[0]["expected"]?.arrayValue ?? []).compactMap(\.stringValue).map { try Npy.read(URL(fileURLWithPath: c.path($0))) }
        for (ours, ref) in zip(again, firstExpected) {
            #expect(try Comparison(ours: ours, expected: ref, tolerance: c.tolerance).passed)
        }
    }

    @Test("streaming refuses layers that read backwards or recur inside another layer")
    func streamingRefusals() throws {
        for name in ["masking_bidirectional", "conv_lstm2d", "lstm_go_backwards"] {
            let c = try #require(ConformanceCase.all.first { $0.name == name })
            let model = try c.load()
            let inputs = try c.files("inputs").map { try Npy.read(URL(fileURLWithPath: $0)) }
            var state = RecurrentState()
            #expect(throws: KerasError.self, "\(name)") { try model.predict(inputs, carrying: &state) }
        }
    }
}
