import Foundation
import Testing
@testable import KerasRuntime

/// Large 2-D weights of a `.kconv` file on disk stay in the file until their layer takes them; a
/// recurrent layer's input kernel is then packed a block of rows at a time (`SafeTensors.inFileBytes`).
/// The model must be the same as one read whole: outputs, weights and the bytes written back.
@Suite("weights left in the .kconv file until packed")
struct InFileWeightTests {
    /// `x (None, 3, features)` → one recurrent layer with `config`, its weights of `shapes`.
    static func model(_ className: String, features: Int, config: [String: JSON], shapes: [[Int]]) throws -> LayerGraph {
        var config = config
        config["name"] = .string("rnn")
        config["activation"] = .string("tanh")
        config["recurrent_activation"] = .string("sigmoid")
        let spec = GraphSpec(name: "big", isSequential: false, layers: [
            KConvFixtures.input("x", [3, features]),
            LayerSpec(className: className, name: "rnn", config: config, calls: [[TensorRef("x")]]),
        ], inputs: [TensorRef("x")], outputs: [TensorRef("rnn")])
        return try LayerGraph(spec: spec, version: KerasVersion("2.21.0"), weights: KConvFixtures.Weights(byLayer: [
            "rnn": shapes.enumerated().map { KConvFixtures.tensor($1, seed: 3 + $0) },
        ]))
    }

    /// Kernels of 1.06–1.23 MB: LSTM and GRU held in Keras' layout (packed block by block), an LSTM
    /// whose kernel goes into the fused step's gate blocks (read whole), a SimpleRNN.
    static let models: [(name: String, make: @Sendable () throws -> LayerGraph, features: Int)] = [
        ("LSTM(64) on 1200 features", { try model("LSTM", features: 1200, config: ["units": .number(64), "return_sequences": .bool(true)],
                                                   shapes: [[1200, 256], [64, 256], [256]]) }, 1200),
        ("LSTM(256) on 300 features", { try model("LSTM", features: 300, config: ["units": .number(256)],
                                                   shapes: [[300, 1024], [256, 1024], [1024]]) }, 300),
        ("GRU(80) on 1100 features", { try model("GRU", features: 1100, config: ["units": .number(80), "reset_after": .bool(true)],
                                                  shapes: [[1100, 240], [80, 240], [2, 240]]) }, 1100),
        ("SimpleRNN(300) on 1000 features", { try model("SimpleRNN", features: 1000, config: ["units": .number(300)],
                                                         shapes: [[1000, 300], [300, 300], [300]]) }, 1000),
    ]

    static func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kconv-\(UUID().uuidString).kconv")
    }

    @Test("left in the file, then the same outputs, weights and written bytes as the model read whole",
          arguments: models.indices)
    func sameModel(_ index: Int) throws {
        let (name, make, features) = Self.models[index]
        let original = try make()
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try KConvFile.write(original, provenance: KConvFixtures.provenance, to: url)

        // The kernel (and a recurrent kernel of 1 MiB) is left in the file; the smaller weights are read.
        let file = try #require(try FileBytes.RegularFile(url))
        let tensors = try SafeTensors(reading: file, format: ".kconv")
        let large = original.layers[1].weights.enumerated()
            .filter { $1.tensor.rank == 2 && $1.tensor.count * 4 >= SafeTensors.inFileBytes }.map { "rnn/\($0.offset)" }
        #expect(large.first == "rnn/0", "\(name)")
        #expect(tensors.entries.filter(\.isInFile).map(\.name) == large, "\(name)")

        let read = try KConvFile.read(contentsOf: url).graph
        let x = KConvFixtures.tensor([4, 3, features], seed: 11)
        #expect(try read.predict([x]).map { $0.scalars.map(\.bitPattern) } == original.predict([x]).map { $0.scalars.map(\.bitPattern) },
                "\(name)")
        let weights = read.layers[1].weights, expected = original.layers[1].weights
        #expect(weights.map(\.name) == expected.map(\.name), "\(name)")
        #expect(weights.map { $0.tensor.scalars.map(\.bitPattern) } == expected.map { $0.tensor.scalars.map(\.bitPattern) }, "\(name)")
        #expect(try KConvFile.encode(read, provenance: KConvFixtures.provenance) == Array(Data(contentsOf: url)), "\(name)")
    }

    @Test("a file that shrinks before its kernel is read: a truncation error, not a trap")
    func shrunkFile() throws {
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try KConvFile.write(try Self.models[0].make(), provenance: KConvFixtures.provenance, to: url)
        let file = try #require(try FileBytes.RegularFile(url))
        let tensors = try SafeTensors(reading: file, format: ".kconv")
        let kernel = try #require(tensors.entry(named: "rnn/0"))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(file.size / 2))
        try handle.close()
        let e = try #require(throws: KerasError.self) { _ = try tensors.tensor(kernel) }
        #expect(e.message.contains("is truncated"))
    }
}
