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
        let ours = ModelSummary(imported.model).json
        let problems = summaryDifferences(ours: ours, keras: try c.referenceSummary())
        #expect(problems.isEmpty, "\(c.name): \(problems.joined(separator: "; "))")
    }
}
