import Foundation
import KerasRuntime
import Testing
import TypedModels

/// The classes that KConvModelPlugin generated from the `.kconv` files, checked against the
/// outputs Keras computed: the test vectors stored in each file by `kconv import --test-input
/// --test-output`, and for streaming, the chunk outputs of the conformance case `ops_stream`.
@Suite("Generated model classes")
struct TypedModelsTests {
    func expectClose(_ ours: Tensor, _ keras: Tensor, _ what: String) throws {
        let comparison = try Comparison(ours: ours, expected: keras, tolerance: 1e-5)
        #expect(comparison.passed, "\(what): \(comparison.report)")
    }

    @Test("the seed CNN+LSTM: one input, one output, from the bundled resource")
    func cnnLstm() throws {
        let model = try CnnLstm()
        let vectors = try #require(model.model.storedTestVectors)
        let output = try model.prediction(CnnLstm.Input(conv2D1Input: vectors.inputs[0]))
        try expectClose(output.fcOut, vectors.expected[0], "FC_out")
        // The same samples as row-major floats, and as two batches predicted as one.
        let flat = try model.prediction(CnnLstm.Input(conv2D1Input: vectors.inputs[0].scalars))
        #expect(flat.fcOut == output.fcOut)
        let halves = try vectors.inputs[0].splittingBatch(into: [1, vectors.inputs[0].shape[0] - 1])
        let outputs = try model.predictions(halves.map { CnnLstm.Input(conv2D1Input: $0) })
        #expect(try Tensor(concatenatingBatches: outputs.map(\.fcOut)) == output.fcOut)
    }

    @Test("the LSTM autoencoder: reconstruction, and the async prediction")
    func autoencoder() async throws {
        let model = try LstmAutoencoder()
        let vectors = try #require(model.model.storedTestVectors)
        let output = try await model.prediction(LstmAutoencoder.Input(lstmInput: vectors.inputs[0]))
        try expectClose(output.timeDistributed, vectors.expected[0], "time_distributed")
        let errors = try model.reconstructionErrors(vectors.inputs[0])
        #expect(errors.count == vectors.inputs[0].shape[0])
        #expect(errors.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test("two inputs and three outputs whose Keras names are not Swift identifiers")
    func paddingMask() throws {
        let model = try PaddingMask()
        let vectors = try #require(model.model.storedTestVectors)
        let output = try model.prediction(PaddingMask.Input(ids: vectors.inputs[0], features: vectors.inputs[1]))
        try expectClose(output.tfMathMultiply, vectors.expected[0], "tf.math.multiply")
        try expectClose(output.tfCast1, vectors.expected[1], "tf.cast_1")
        try expectClose(output.tfOperatorsAdd, vectors.expected[2], "tf.__operators__.add")
        // A wrong shape is a clear error, not a crash.
        #expect(throws: KerasError.self) { try PaddingMask.Input(ids: [1, 2, 3], features: [0]) }
    }

    @Test("streaming a recurrent model chunk by chunk gives Keras' stateful outputs")
    func streaming() throws {
        let model = try OpsStream()
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../Conformance/cases/ops_stream").standardizedFileURL
        var state = RecurrentState()
        for chunk in 0..<3 {
            let x = try NpyFloat32.read(directory.appendingPathComponent("chunk\(chunk)_input_0.npy"))
            let output = try model.prediction(OpsStream.Input(x: x), carrying: &state)
            try expectClose(output.perStep, try NpyFloat32.read(directory.appendingPathComponent("chunk\(chunk)_expected_0.npy")), "chunk \(chunk) per_step")
            try expectClose(output.tfMathReduceMean, try NpyFloat32.read(directory.appendingPathComponent("chunk\(chunk)_expected_1.npy")), "chunk \(chunk) mean")
        }
    }

    @Test("a file whose inputs and outputs are not the generated ones is refused, naming it")
    func mismatchedFile() throws {
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("typed-models-\(UUID().uuidString).kconv")
        defer { try? FileManager.default.removeItem(at: other) }
        try PaddingMask().model.write(to: other)
        do {
            _ = try CnnLstm(contentsOf: other)
            Issue.record("no error")
        } catch let error as KerasError {
            #expect(error.file == other.path)
            #expect(error.message.contains("not the ones CnnLstm was generated for"))
        }
    }
}

/// Little-endian float32 `.npy` files in C order, as numpy writes Keras' reference arrays.
enum NpyFloat32 {
    static func read(_ url: URL) throws -> Tensor {
        let bytes = [UInt8](try Data(contentsOf: url))
        guard bytes.count > 10, bytes[0] == 0x93, bytes[1...5].elementsEqual("NUMPY".utf8) else { throw KerasError(.format, "not a .npy file", file: url.path) }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        guard header.contains("'<f4'"), header.contains("'fortran_order': False"),
              let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
            throw KerasError(.format, "not a float32 C-order array", file: url.path)
        }
        let shape = header[header.index(after: open)..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let data = bytes[(10 + headerLength)...]
        let scalars = stride(from: data.startIndex, to: data.endIndex, by: 4).map { i in
            Float(bitPattern: UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
        }
        return try Tensor(shape: shape, scalars: scalars)
    }
}
