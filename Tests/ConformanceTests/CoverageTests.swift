import Foundation
import Testing
@testable import KerasImport
import KerasRuntime

/// Every layer kconv runs has a conformance case, and `Conformance/COVERAGE.md` (written by
/// `python3 Tools/coverage.py`) describes the cases that exist.
@Suite("Conformance coverage")
struct CoverageTests {
    /// Registered class names that are another name for an implementation some case covers, and
    /// that the pinned Keras (tf_keras 2.21) cannot write. Keep in step with `ALIASES` in
    /// Tools/coverage.py.
    static let aliases: [String: String] = [
        // NestedModel, as "Functional"; only Keras 2 and tf.keras ≤ 2.2 name a Functional model "Model".
        "Model": "Functional",
    ]

    /// `covers` entries of every case, by case name.
    static let covers: [(name: String, covers: [String])] = ConformanceCase.all.map { c in
        (c.name, (c.manifest["covers"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    /// The class an entry is about: `"Conv1D.padding=same"` → `Conv1D`, `"Dense"` → `Dense`.
    static func className(_ entry: String) -> String {
        String(entry.prefix { $0 != "." })
    }

    static func cases(covering cls: String) -> [String] {
        covers.filter { $0.covers.contains { className($0) == cls } }.map(\.name)
    }

    @Test("every registered layer class is covered by a conformance case")
    func everyLayerHasACase() {
        #expect(!CoverageTests.covers.isEmpty)
        let uncovered = LayerRegistry.supportedClassNames.filter {
            CoverageTests.aliases[$0] == nil && CoverageTests.cases(covering: $0).isEmpty
        }
        #expect(uncovered.isEmpty, "registered classes without a case whose covers names them: \(uncovered.joined(separator: ", "))")
    }

    /// The operations kconv runs, per generation: the recorded name, what it runs as, and the
    /// `covers` entries that say a case runs it. Keep in step with `OPERATION_TABLES` in Tools/coverage.py.
    static let operations: [(generation: String, table: [String: String], entries: @Sendable (String) -> Set<String>)] = [
        ("tf_keras (TFOpLambda, SlicingOpLambda)", ConfigDecoder.tfFunctions,
         { ["TFOpLambda.function=\($0)", "SlicingOpLambda.function=\($0)"] }),
        ("Keras 3 (op nodes)", ConfigDecoder.keras3Functions, { ["ops.numpy.\($0)", "ops.nn.\($0)", "ops.core.\($0)", "ops.math.\($0)"] }),
    ]

    /// The cases that run `name` of an operation table.
    static func cases(running name: String, entries: @Sendable (String) -> Set<String>) -> [String] {
        covers.filter { !entries(name).isDisjoint(with: $0.covers) }.map(\.name).sorted()
    }

    @Test("every recorded operation kconv runs, in each generation, has a case that runs it")
    func everyOperationHasACase() {
        for (generation, table, entries) in CoverageTests.operations {
            let unrun = table.keys.sorted().filter { CoverageTests.cases(running: $0, entries: entries).isEmpty }
            #expect(unrun.isEmpty, "\(generation): operations without a case: \(unrun.joined(separator: ", "))")
        }
    }

    @Test("the alias list names registered classes whose implementation a case covers")
    func aliasesAreJustified() {
        for (alias, canonical) in CoverageTests.aliases {
            #expect(LayerRegistry.supportedClassNames.contains(alias), "\(alias) is no longer registered")
            #expect(!CoverageTests.cases(covering: canonical).isEmpty, "\(alias): \(canonical) has no case either")
        }
    }

    @Test("Conformance/COVERAGE.md is up to date (python3 Tools/coverage.py)")
    func coverageFileIsCurrent() throws {
        let url = ConformanceCase.casesDirectory.deletingLastPathComponent().appendingPathComponent("COVERAGE.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let rows = Set(text.split(separator: "\n").map(String.init))
        var stale: [String] = []
        let registered = LayerRegistry.supportedClassNames
        if !rows.contains("\(CoverageTests.covers.count) cases, \(registered.count) registered layer classes.") {
            stale.append("the case or class count")
        }
        var options: [String: [String: Set<String>]] = [:]
        for (name, covers) in CoverageTests.covers {
            if !rows.contains("| \(name) | \(covers.isEmpty ? "—" : covers.joined(separator: ", ")) |") {
                stale.append("case \(name)")
            }
            for entry in covers where entry.first?.isUppercase == true {
                let cls = CoverageTests.className(entry)
                let option = entry.count > cls.count ? String(entry.dropFirst(cls.count + 1)) : "(the class)"
                options[cls, default: [:]][option, default: []].insert(name)
            }
        }
        for (cls, byOption) in options {
            for (option, names) in byOption where !rows.contains("| \(cls) | \(option) | \(names.sorted().joined(separator: ", ")) |") {
                stale.append("\(cls).\(option)")
            }
        }
        for cls in registered {
            let covering = CoverageTests.cases(covering: cls)
            let ok = covering.isEmpty && CoverageTests.aliases[cls] != nil
                ? rows.contains { $0.hasPrefix("| \(cls) | (alias: ") }
                : rows.contains("| \(cls) | \(covering.isEmpty ? "—" : covering.sorted().joined(separator: ", ")) |")
            if !ok { stale.append("registered class \(cls)") }
        }
        for (generation, table, entries) in CoverageTests.operations {
            for (name, function) in table {
                let running = CoverageTests.cases(running: name, entries: entries)
                if !rows.contains("| \(generation) | \(name) | \(function) | \(running.isEmpty ? "—" : running.joined(separator: ", ")) |") {
                    stale.append("operation \(name)")
                }
            }
        }
        #expect(stale.isEmpty, "COVERAGE.md is stale (run python3 Tools/coverage.py): \(stale.prefix(12).joined(separator: "; "))")
    }
}
