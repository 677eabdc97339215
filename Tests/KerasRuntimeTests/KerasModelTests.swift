import Foundation
import Testing
import KConvOps
@testable import KerasRuntime

@Suite("KerasModel (the embedding API)")
struct KerasModelTests {
    func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kerasmodel-\(UUID().uuidString).kconv")
    }

    @Test("load a .kconv, describe inputs and outputs, predict any batch size")
    func loadAndPredict() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(KConvFixtures.mlpBytes()).write(to: url)
        let model = try KerasModel(contentsOf: url)
        #expect(model.inputs == [TensorDescription(name: "x", shape: [nil, 3])])
        #expect(model.outputs == [TensorDescription(name: "out", shape: [nil, 2])])
        #expect(model.inputs[0].description == "x (None, 3)")
        #expect(model.provenance == KConvFixtures.provenance)
        let reference = try KConvFixtures.mlp()
        for batch in [1, 2, 3, 7, 64] {
            let x = KConvFixtures.tensor([batch, 3], seed: batch)
            let y = try model.predict(x)
            #expect(y.shape == [batch, 2])
            #expect(y == (try reference.predict([x]))[0])
            #expect(try model.predict([x]) == [y])
            #expect(try model.predict(["x": x]) == ["out": y])
        }
        let x = try Tensor([[0.5, -0.25, 1], [0, 0, 0]])
        #expect(try model.predict(x).shape == [2, 2])
    }

    @Test("inputs and outputs by position and by name; errors name what is wrong")
    func severalInputsAndOutputs() throws {
        let model = try KerasModel(graph: KConvFixtures.twoHeads(), provenance: nil)
        #expect(model.inputs.map(\.name) == ["a", "b"])
        #expect(model.outputs.map(\.name) == ["da", "db"])
        let a = KConvFixtures.tensor([4, 3], seed: 1), b = KConvFixtures.tensor([4, 5], seed: 2)
        let byPosition = try model.predict([a, b])
        #expect(byPosition.map(\.shape) == [[4, 2], [4, 3]])
        let byName = try model.predict(["b": b, "a": a])
        #expect(byName == ["da": byPosition[0], "db": byPosition[1]])

        var e = try #require(throws: KerasError.self) { try model.predict(a) }
        #expect(e.kind == .invalidArgument && e.message.contains("2 input(s) and 2 output(s)"))
        e = try #require(throws: KerasError.self) { try model.predict(["a": a]) }
        #expect(e.message == "input 'b' is missing (the model's inputs: a, b)")
        e = try #require(throws: KerasError.self) { try model.predict(["a": a, "b": b, "c": a]) }
        #expect(e.message.contains("no input named 'c'"))
        e = try #require(throws: KerasError.self) { try model.predict([a]) }
        #expect(e.message.contains("takes 2 input(s), got 1"))
        e = try #require(throws: KerasError.self) { try model.predict([b, a]) }
        #expect(e.kind == .shape)
        e = try #require(throws: KerasError.self) { try model.predict([a, KConvFixtures.tensor([3, 5], seed: 2)]) }
        #expect(e.message.contains("same batch size"))
        #expect(model.storedTestVectors == nil)
        e = try #require(throws: KerasError.self) { try model.verifyStoredTestVectors() }
        #expect(e.message == "the model has no stored test vectors")
    }

    @Test("outputs of one layer get unique names, as Keras' output_names")
    func uniqueOutputNames() throws {
        let model = try KerasModel(graph: KConvFixtures.lstmWithState(), provenance: nil)
        #expect(model.outputs.map(\.name) == ["lstm", "lstm_1", "lstm_2"])
        #expect(model.outputs.map(\.shape) == [[nil, 4], [nil, 4], [nil, 4]])
        let x = KConvFixtures.tensor([2, 6, 3], seed: 3)
        let y = try model.predict(["seq": x])
        #expect(Set(y.keys) == ["lstm", "lstm_1", "lstm_2"])
        #expect(y["lstm"] == y["lstm_1"])  // LSTM's output is its last h.
    }

    @Test("stored test vectors verify; wrong ones are reported, not hidden")
    func storedVectors() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let base = try KConvFixtures.mlp()
        let x = KConvFixtures.tensor([3, 3], seed: 5)
        let y = try base.predict([x])
        try KerasModel(graph: base, provenance: KConvFixtures.provenance,
                       testVectors: StoredTestVectors(inputs: [x], expected: y, note: "self-test", tolerance: 0))
            .write(to: url)
        let model = try KerasModel(contentsOf: url)
        let vectors = try #require(model.storedTestVectors)
        #expect(vectors.inputs == [x] && vectors.expected == y && vectors.note == "self-test" && vectors.tolerance == 0)
        let comparisons = try model.verifyStoredTestVectors()
        #expect(comparisons.count == 1 && comparisons.allSatisfy(\.passed))
        #expect(comparisons[0].maxULPDistance == 0)

        var wrong = y[0]
        wrong.scalars[0] += 0.01
        let tampered = try KerasModel(graph: base, provenance: nil, testVectors: StoredTestVectors(inputs: [x], expected: [wrong]))
        let result = try tampered.verifyStoredTestVectors()
        #expect(!result[0].passed && result[0].failingCount == 1)
        #expect(try tampered.verifyStoredTestVectors(tolerance: 0.1)[0].passed)
        #expect(throws: KerasError.self) { try KerasModel(graph: base, provenance: nil, testVectors: StoredTestVectors(inputs: [], expected: y)) }
    }

    @Test("kconvBytes is what write(to:) writes, and reloads to the same model")
    func bytes() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let model = try KerasModel(graph: KConvFixtures.lstmWithState(), provenance: nil)
        try model.write(to: url)
        #expect(try Data(contentsOf: url) == Data(model.kconvBytes()))
        let again = try KerasModel(contentsOf: url)
        let x = KConvFixtures.tensor([3, 6, 3], seed: 8)
        #expect(try again.predict([x]) == model.predict([x]))
    }

    @Test("file errors are one line naming the file")
    func fileErrors() throws {
        var e = try #require(throws: KerasError.self) { try KerasModel(contentsOf: URL(fileURLWithPath: "/nonexistent/m.kconv")) }
        #expect(e.description == "/nonexistent/m.kconv: no such file")
        e = try #require(throws: KerasError.self) { try KerasModel(contentsOf: FileManager.default.temporaryDirectory) }
        #expect(e.kind == .io && e.message.contains("directory"))
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("not a model".utf8).write(to: url)
        e = try #require(throws: KerasError.self) { try KerasModel(contentsOf: url) }
        #expect(e.description.hasPrefix(url.path + ": "))
        #expect(!e.description.contains("\n"))
    }

    @Test("predict from many threads at once gives the serial results")
    func concurrentPredict() async throws {
        let model = try KerasModel(graph: KConvFixtures.lstmWithState(), provenance: nil)
        let inputs = (0..<32).map { KConvFixtures.tensor([1 + $0 % 5, 6, 3], seed: $0) }
        let serial = try inputs.map { try model.predict([$0]) }
        let concurrent = try await withThrowingTaskGroup(of: (Int, [Tensor]).self) { group in
            for _ in 0..<4 {
                for (i, x) in inputs.enumerated() {
                    group.addTask { (i, try model.predict([x])) }
                }
            }
            var results: [(Int, [Tensor])] = []
            for try await r in group { results.append(r) }
            return results
        }
        #expect(concurrent.count == inputs.count * 4)
        for (i, outputs) in concurrent {
            #expect(outputs == serial[i], "input \(i)")
        }
    }
}

@Suite("KerasModel.Configuration (thread cap)")
struct KerasModelConfigurationTests {
    /// `x (None, 512)` → Dense(1024, tanh) → Dense(256): 64 rows are 40 M multiply-adds, split over
    /// threads when they may.
    static func wide() throws -> LayerGraph {
        let spec = GraphSpec(name: "wide", isSequential: false, layers: [
            KConvFixtures.input("x", [512]),
            KConvFixtures.dense("hidden", units: 1024, activation: "tanh", on: "x"),
            KConvFixtures.dense("out", units: 256, activation: "linear", on: "hidden"),
        ], inputs: [TensorRef("x")], outputs: [TensorRef("out")])
        return try LayerGraph(spec: spec, version: KerasVersion("2.21.0"), weights: KConvFixtures.Weights(byLayer: [
            "hidden": [KConvFixtures.tensor([512, 1024], seed: 1), KConvFixtures.tensor([1024], seed: 2)],
            "out": [KConvFixtures.tensor([1024, 256], seed: 3), KConvFixtures.tensor([256], seed: 4)],
        ]))
    }

    @Test("a row's result does not depend on the thread cap or on the rows that come with it")
    func rowsIndependentOfThreadsAndBatch() throws {
        let graph = try Self.wide()
        let x = KConvFixtures.tensor([64, 512], seed: 9)
        let reference = try KerasModel(graph: graph, provenance: nil, configuration: .init(threads: 1)).predict(x)
        for threads in [nil, 2, 3] {
            let model = try KerasModel(graph: graph, provenance: nil, configuration: .init(threads: threads))
            #expect(model.configuration.threads == threads)
            #expect(try model.predict(x).scalars.map(\.bitPattern) == reference.scalars.map(\.bitPattern), "threads \(threads ?? 0)")
        }
        let one = try KerasModel(graph: graph, provenance: nil)
        for row in [0, 5, 63] {
            let alone = try Tensor(shape: [1, 512], scalars: Array(x.scalars[row * 512..<(row + 1) * 512]))
            #expect(try one.predict(alone).scalars.map(\.bitPattern) == reference.scalars[row * 256..<(row + 1) * 256].map(\.bitPattern))
        }
    }

    @Test("the cap reaches the kernels for the duration of a prediction only")
    func capIsScopedToPredictions() throws {
        let model = try KerasModel(graph: KConvFixtures.mlp(), provenance: nil, configuration: .init(threads: 1))
        var seen: [Int] = []
        _ = try model.predict([KConvFixtures.tensor([2, 3], seed: 1)]) { _, _, _ in seen.append(ThreadBudget.threads) }
        #expect(seen == [1, 1])
        #expect(ThreadBudget.cap == nil)
    }
}
