import Foundation
import Testing
import TestSupport
import KerasImport
import KerasRuntime

/// One directory of `Conformance/cases`: a model written by real Keras, its inputs, Keras' outputs and summary.
struct ConformanceCase: CustomTestStringConvertible, Sendable {
    let name: String
    let directory: URL
    let manifest: JSON

    static let casesDirectory = Repository.conformanceCases

    /// Every case, by name.
    static let all: [ConformanceCase] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: casesDirectory.path)) ?? []
        return names.sorted().compactMap { name in
            let dir = casesDirectory.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: dir.appendingPathComponent("case.json")),
                  let manifest = try? JSON(parsing: data, what: "case.json") else { return nil }
            return ConformanceCase(name: name, directory: dir, manifest: manifest)
        }
    }()

    var testDescription: String { name }

    func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    func files(_ key: String) -> [String] {
        (manifest[key]?.arrayValue ?? []).compactMap(\.stringValue).map(path)
    }

    var tolerance: Float { Float(manifest["tolerance"]?.doubleValue ?? 1e-5) }

    func load() throws -> KerasModel {
        guard let model = manifest["model"]?.stringValue else {
            throw KerasError(.format, "case.json names no model", file: path("case.json"))
        }
        return try KerasImporter.load(path(model), weights: manifest["weights"]?.stringValue.map(path))
    }

    func referenceSummary() throws -> JSON {
        try JSON(parsing: Data(contentsOf: directory.appendingPathComponent("summary.json")), what: "summary.json")
    }
}

/// Differences between kconv's summary JSON and Keras', one line each; empty when they agree.
func summaryDifferences(ours: JSON, keras: JSON) -> [String] {
    var problems: [String] = []
    let ourLayers = ours["layers"]?.arrayValue ?? []
    let refLayers = keras["layers"]?.arrayValue ?? []
    if ourLayers.map({ $0["name"] }) != refLayers.map({ $0["name"] }) {
        problems.append("layer names \(ourLayers.compactMap { $0["name"]?.stringValue }) != Keras' \(refLayers.compactMap { $0["name"]?.stringValue })")
    }
    for (o, r) in zip(ourLayers, refLayers) {
        for key in ["class_name", "output_shape", "params"] where o[key] != r[key] {
            problems.append("\(r["name"]?.stringValue ?? "?").\(key): ours \(o[key]?.serialized ?? "nil") != Keras \(r[key]?.serialized ?? "nil")")
        }
    }
    for key in ["total_params", "trainable_params", "non_trainable_params"] where ours[key] != keras[key] {
        problems.append("\(key): ours \(ours[key]?.serialized ?? "nil") != Keras \(keras[key]?.serialized ?? "nil")")
    }
    return problems
}
