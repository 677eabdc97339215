import Foundation
import Testing
import KerasImport
import KerasRuntime

@Suite("Keras summaries")
struct SummaryConformanceTests {
    @Test("the Conformance/cases directory has cases")
    func casesExist() {
        #expect(ConformanceCase.all.count >= 6, "found \(ConformanceCase.all.count) cases in \(ConformanceCase.casesDirectory.path)")
    }

    @Test("kconv's summary equals Keras'", arguments: ConformanceCase.all)
    func summaryMatchesKeras(_ c: ConformanceCase) throws {
        let imported = try c.load()
        let ours = imported.summary.json
        let problems = summaryDifferences(ours: ours, keras: try c.referenceSummary())
        #expect(problems.isEmpty, "\(c.name): \(problems.joined(separator: "; "))")
    }

    @Test("kconv's summary table is the one tf_keras prints", arguments: ConformanceCase.all.filter { $0.manifest["keras"]?.stringValue?.hasPrefix("tf_keras") == true })
    func summaryTextMatchesTFKeras(_ c: ConformanceCase) throws {
        let keras = try String(contentsOfFile: c.path("summary.txt"), encoding: .utf8)
        let ours = try c.load().summary.text
        #expect(ours == keras.trimmingCharacters(in: .newlines), "\(c.name):\n\(ours)\n---- tf_keras:\n\(keras)")
    }
}
