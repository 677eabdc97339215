import Foundation
import Testing
@testable import KerasRuntime

/// Tensors from integer sensor counts, half floats and float buffers; batches joined and cut;
/// the async prediction. Expected values are the conversions written out.
@Suite("Tensor conversions and the async prediction")
struct TensorConversionTests {
    @Test("integers and half floats convert exactly; a buffer is copied as it is")
    func conversions() throws {
        let counts: [Int16] = [-32768, -1, 0, 1, 32767, 1000]
        let fromInt16 = try Tensor(shape: [2, 3], integers: counts)
        #expect(fromInt16.scalars == [-32768, -1, 0, 1, 32767, 1000])
        #expect(try Tensor(shape: [3], integers: [Int8(-128), 0, 127]).scalars == [-128, 0, 127])
        #expect(try Tensor(shape: [2], integers: [UInt8(0), 255]).scalars == [0, 255])
        // 2^24 + 1 is not a float32; as numpy's astype(float32), it rounds to the even neighbour 2^24.
        #expect(try Tensor(shape: [1], integers: [Int32(16_777_217)]).scalars == [16_777_216])
        #expect(throws: KerasError.self) { try Tensor(shape: [4], integers: [Int16(1), 2]) }
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        let halves: [Float16] = [0.5, -2, 65504, .infinity]
        #expect(try Tensor(shape: [4], float16: halves).scalars == [0.5, -2, 65504, .infinity])
        #endif
        let samples: [Float] = [1.5, -0.25, 3, 4]
        let copied = try samples.withUnsafeBufferPointer { try Tensor(shape: [1, 2, 2], copying: $0) }
        #expect(copied.scalars == samples && copied.shape == [1, 2, 2])
    }

    @Test("batches join along the first axis and split back")
    func batches() throws {
        let a = try Tensor(shape: [1, 2], scalars: [1, 2]), b = try Tensor(shape: [2, 2], scalars: [3, 4, 5, 6])
        let joined = try Tensor(concatenatingBatches: [a, b])
        #expect(joined.shape == [3, 2] && joined.scalars == [1, 2, 3, 4, 5, 6])
        #expect(try joined.splittingBatch(into: [1, 2]) == [a, b])
        #expect(try joined.splittingBatch(into: [0, 3]).map(\.shape) == [[0, 2], [3, 2]])
        #expect(throws: KerasError.self) { try Tensor(concatenatingBatches: [a, try Tensor(shape: [1, 3], scalars: [0, 0, 0])]) }
        #expect(throws: KerasError.self) { try joined.splittingBatch(into: [1, 1]) }
        #expect(throws: KerasError.self) { try Tensor(concatenatingBatches: []) }
    }

    @Test("the async prediction gives the synchronous outputs, bit for bit")
    func asyncPrediction() async throws {
        let model = try KerasModel(graph: KConvFixtures.twoHeads(), provenance: nil)
        let a = KConvFixtures.tensor([4, 3], seed: 1), b = KConvFixtures.tensor([4, 5], seed: 2)
        let sync = try model.predict([a, b])
        #expect(try await model.prediction(for: [a, b]) == sync)
        #expect(try await model.prediction(for: ["a": a, "b": b]) == ["da": sync[0], "db": sync[1]])
        #expect(!model.supportsStreaming)
    }
}
