import Foundation
import Testing
import TestSupport
@testable import KerasImport
import KerasRuntime

/// Damaged and wrong files: each gives one `KerasError` naming the file, never a crash.
@Suite("Bad model files")
struct BadFileTests {
    static let cases = Repository.conformanceCases

    let scratch = Repository.scratchDirectory()

    func casePath(_ relative: String) -> String { BadFileTests.cases.appendingPathComponent(relative).path }

    /// The error `load` throws; the test fails if it throws none.
    func loadError(_ path: String, weights: String? = nil) -> KerasError? {
        do {
            _ = try KerasImporter.load(path, weights: weights)
            Issue.record("\(path) loaded, an error was expected")
            return nil
        } catch {
            return error as? KerasError
        }
    }

    func write(_ name: String, _ bytes: some DataProtocol) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test("a missing file")
    func missing() throws {
        let e = try #require(loadError("/nonexistent/model.h5"))
        #expect(e.kind == .io)
        #expect(e.description == "/nonexistent/model.h5: no such file")
    }

    @Test("a TensorFlow SavedModel folder: the error says how to re-save it as .keras; another folder is just a folder")
    func savedModelFolder() throws {
        let folder = scratch.appendingPathComponent("exported")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("variables"), withIntermediateDirectories: true)
        let e = try #require(loadError(folder.path))
        #expect(e.kind == .io)
        try Data([0x08, 0x01]).write(to: folder.appendingPathComponent("saved_model.pb"))
        let saved = try #require(loadError(folder.path))
        #expect(saved.kind == .unsupported)
        #expect(saved.description.hasPrefix("\(folder.path): is a TensorFlow SavedModel folder, which kconv does not read"))
        #expect(saved.message.contains("tf_keras.models.load_model('\(folder.path)').save('model.keras')"))
    }

    @Test("a file that is neither HDF5 nor JSON")
    func notHDF5() throws {
        let path = try write("pointer.h5", Data("version https://git-lfs.github.com/spec/v1\noid sha256:0\n".utf8))
        let e = try #require(loadError(path))
        #expect(e.kind == .format)
        #expect(e.description.hasPrefix(path + ": is not a Keras model file"))
    }

    @Test("a truncated .h5 (every cut point of a real model)")
    func truncated() throws {
        let full = try Data(contentsOf: URL(fileURLWithPath: casePath("conv1d_lstm/model.h5")))
        for fraction in [0.02, 0.1, 0.3, 0.5, 0.8, 0.99] {
            let path = try write("cut\(fraction).h5", full.prefix(Int(Double(full.count) * fraction)))
            let e = try #require(loadError(path), "cut at \(fraction)")
            #expect(e.file == path)
            #expect(!e.description.contains("\n"))
        }
    }

    @Test("an HDF5 weights file passed as the model")
    func weightsOnly() throws {
        let e = try #require(loadError(casePath("conv1d_lstm_json/weights.h5")))
        #expect(e.message.contains("holds only weights"))
    }

    @Test("an HDF5 file that is not a Keras file")
    func noModelConfig() throws {
        let plain = Repository.fixtures("HDF5").appendingPathComponent("hdf5_datasets.h5").path
        let e = try #require(loadError(plain))
        #expect(e.message.contains("no model_config"))
    }

    /// The conv1d_lstm JSON architecture with `edit` applied, written next to nothing else.
    func editedArchitecture(_ edit: (String) -> String) throws -> String {
        let text = try String(contentsOfFile: casePath("conv1d_lstm_json/model.json"), encoding: .utf8)
        let edited = edit(text)
        #expect(edited != text, "the edit must change the architecture")
        return try write("edited.json", Data(edited.utf8))
    }

    @Test("a weight whose shape disagrees with the config")
    func weightShapeMismatch() throws {
        let json = try editedArchitecture { $0.replacingOccurrences(of: "\"units\": 8", with: "\"units\": 9") }
        let e = try #require(loadError(json, weights: casePath("conv1d_lstm_json/weights.h5")))
        #expect(e.kind == .shape)
        #expect(e.message.contains("[128, 8]") && e.message.contains("[128, 9]"))
    }

    @Test("an unknown layer class")
    func unknownLayer() throws {
        let json = try editedArchitecture { $0.replacingOccurrences(of: "\"class_name\": \"MaxPooling1D\"", with: "\"class_name\": \"MyPooling\"") }
        let e = try #require(loadError(json, weights: casePath("conv1d_lstm_json/weights.h5")))
        #expect(e.kind == .unsupported)
        #expect(e.message.contains("MyPooling"))
    }

    @Test("an architecture JSON that is not JSON")
    func brokenJSON() throws {
        let path = try write("broken.json", Data(#"{"class_name": "Sequential", "config": [ "#.utf8))
        let e = try #require(loadError(path))
        #expect(e.kind == .format)
        #expect(e.description.hasPrefix(path + ": "))
    }
}
