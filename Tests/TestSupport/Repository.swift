import Foundation

/// Where the repository's test data lives, found once from this file's path, for every test target.
public enum Repository {
    /// The repository's root directory.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Conformance/cases`: the models written by real Keras, with their inputs and Keras' outputs.
    public static let conformanceCases = root.appendingPathComponent("Conformance/cases")

    /// The path of `relative` under `Conformance/cases` (e.g. `"cnn_lstm/model.h5"`).
    public static func caseFile(_ relative: String) -> String {
        conformanceCases.appendingPathComponent(relative).path
    }

    /// `Tests/Fixtures/<folder>`: files written by the scripts in `Tools/fixtures`.
    public static func fixtures(_ folder: String) -> URL {
        root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(folder)
    }

    /// A new empty directory under the system's temporary directory, for one test's files.
    public static func scratchDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
