import Testing
@testable import KerasRuntime

@Suite("Embedding")
struct EmbeddingTests {
    /// Rows 0…3 of a 4×2 table: [0, 0.5], [1, 1.5], [2, 2.5], [3, 3.5].
    private let table = Tensor(uncheckedShape: [4, 2], scalars: [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5])

    private func embedding(_ extra: [String: JSON] = [:], inputShape: Shape = [nil, 3]) throws -> any Layer {
        var config: [String: JSON] = ["input_dim": .number(4), "output_dim": .number(2), "name": .string("emb")]
        config.merge(extra) { $1 }
        return try makeLayer("Embedding", config, inputShapes: [inputShape], weights: [table])
    }

    @Test("looks up rows; float indices are truncated toward zero as Keras' int32 cast does")
    func lookup() throws {
        let e = try embedding()
        #expect(e.parameterCounts == (8, 0))
        #expect(try e.outputShapes(for: [[nil, 3]]) == [[nil, 3, 2]])
        let y = try e.call([Tensor(uncheckedShape: [1, 3], scalars: [3, 1.9, -0.5])])[0]
        #expect(y.shape == [1, 3, 2])
        #expect(y.scalars == [3, 3.5, 1, 1.5, 0, 0.5])
    }

    @Test("an index outside the vocabulary is an error naming the layer")
    func outOfRange() throws {
        let e = try embedding()
        for bad: Float in [4, -1, .nan] {
            let error = #expect(throws: KerasError.self) { try e.call([Tensor(uncheckedShape: [1, 1], scalars: [bad])]) }
            #expect(error?.message.contains("'emb'") == true)
        }
    }

    @Test("mask_zero makes the mask x != 0; without it no mask leaves the layer")
    func maskZero() throws {
        let x = Tensor(uncheckedShape: [1, 3], scalars: [2, 0, 0.5])
        let masked = try embedding(["mask_zero": .bool(true)])
        #expect(try masked.call([x], masks: [nil]).masks[0]?.scalars == [1, 0, 1])
        let plain = try embedding()
        #expect(try plain.call([x], masks: [Tensor(uncheckedShape: [1, 3], scalars: [1, 1, 1])]).masks[0] == nil)
    }

    @Test("input_length fills unknown dimensions of the output shape and must match known ones")
    func inputLength() throws {
        let e = try embedding(["input_length": .number(3)], inputShape: [nil, nil])
        #expect(try e.outputShapes(for: [[nil, nil]]) == [[nil, 3, 2]])
        #expect(throws: KerasError.self) { try e.outputShapes(for: [[nil, 5]]) }
    }
}
