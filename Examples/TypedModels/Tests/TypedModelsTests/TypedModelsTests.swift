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
        // One thread gives the same bits (a row's result never depends on the thread count).
        let capped = try CnnLstm(configuration: KerasModel.Configuration(threads: 1))
        #expect(capped.model.configuration.threads == 1)
        #expect(try capped.prediction(CnnLstm.Input(conv2D1Input: vectors.inputs[0])).fcOut == output.fcOut)
        // The same samples as row-major floats, and as two batches predicted as one.
        let flat = try model.prediction(CnnLstm.Input(conv2D1Input: vectors.inputs[0].scalars))
        #expect(flat.fcOut == output.fcOut)
        let halves = try vectors.inputs[0].splittingBatch(into: [1, vectors.inputs[0].shape[0] - 1])
        let outputs = try model.predictions(halves.map { CnnLstm.Input(conv2D1Input: $0) })
        #expect(try Tensor(concatenatingBatches: outputs.map(\.fcOut)) == output.fcOut)
    }

    @Test("an EMG recording read from CSV gives the predictions of numpy's windows of it, bit for bit")
    func emgRecording() throws {
        let model = try CnnLstm()
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../..").standardizedFileURL
        let csv = repository.appendingPathComponent("Examples/EMGClassifier/Sources/EMGClassifier/Resources/emg.csv")
        let fromCSV = try model.blockPredictions(csv: csv)
        let fromNumpy = try model.prediction(CnnLstm.Input(conv2D1Input: try fixture("emg_windows"))).fcOut.scalars
        #expect(fromCSV.map(\.bitPattern) == fromNumpy.map(\.bitPattern))
        #expect(fromCSV.count == 2)
    }

    /// `Tests/Fixtures/csv/NAME.npy` of the kconv repository: windows made by numpy, scikit-learn's
    /// scaling, Keras' outputs and numpy's errors (Tools/fixtures/make_csv_fixtures.py).
    func fixture(_ name: String) throws -> Tensor {
        try NpyFloat32.read(URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../Tests/Fixtures/csv/\(name).npy").standardizedFileURL)
    }

    @Test("the LSTM autoencoder: the stored scaler on raw samples, reconstruction errors, anomalies, async")
    func autoencoder() async throws {
        let model = try LstmAutoencoder()
        let vectors = try #require(model.model.storedTestVectors)
        let output = try await model.prediction(LstmAutoencoder.Input(lstmInput: vectors.inputs[0]))
        try expectClose(output.timeDistributed, vectors.expected[0], "time_distributed")

        // Raw windows of the series, scaled as scikit-learn's MinMaxScaler does, give Keras' outputs
        // on scikit-learn's scaled windows; the errors are numpy's (MSE, the first column).
        let raw = try fixture("series_windows")
        let input = try model.input(scaling: raw.scalars.map(Double.init))
        try expectClose(input.lstmInput, try fixture("series_minmax_windows"), "scaled windows")
        try expectClose(try await model.prediction(input).timeDistributed, try fixture("series_minmax_expected"), "reconstruction")
        let errors = try model.reconstructionErrors(input)
        let numpy = try fixture("series_minmax_errors")
        let mse = stride(from: 0, to: numpy.count, by: 2).map { numpy.scalars[$0] }
        try expectClose(Tensor(errors), Tensor(mse), "MSE")
        #expect(try model.anomalies(input) == errors.map { $0 > 0.05 })
        #expect(model.model.anomalyThreshold == 0.05)
    }

    @Test("a classifier with labels: the top class of each sample")
    func labelledClassifier() throws {
        let model = try Gesture()
        let windows = try fixture("signal_windows"), keras = try fixture("signal_expected")
        let output = try model.prediction(Gesture.Input(conv1dInput: windows))
        try expectClose(output.dense, keras, "dense")
        let labels = try #require(model.model.labels)
        let top = try model.topClasses(output)
        #expect(top.count == windows.shape[0])
        for (sample, best) in top.enumerated() {
            let row = Array(keras.scalars[(sample * labels.count)..<((sample + 1) * labels.count)])
            let index = try #require(row.indices.max { row[$0] < row[$1] })
            #expect(best.label == labels[index])
            #expect(abs(best.probability - row[index]) <= 1e-5)
        }
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

/// Little-endian float32 or float64 `.npy` files in C order, as numpy writes the reference arrays
/// (float64 values are rounded to float32).
enum NpyFloat32 {
    static func read(_ url: URL) throws -> Tensor {
        let bytes = [UInt8](try Data(contentsOf: url))
        guard bytes.count > 10, bytes[0] == 0x93, bytes[1...5].elementsEqual("NUMPY".utf8) else { throw KerasError(.format, "not a .npy file", file: url.path) }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        let width = header.contains("'<f4'") ? 4 : header.contains("'<f8'") ? 8 : 0
        guard width > 0, header.contains("'fortran_order': False"),
              let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
            throw KerasError(.format, "not a float32 or float64 C-order array", file: url.path)
        }
        let shape = header[header.index(after: open)..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let data = bytes[(10 + headerLength)...]
        let scalars = stride(from: data.startIndex, to: data.endIndex, by: width).map { i -> Float in
            let bits = (0..<width).reduce(UInt64(0)) { $0 | UInt64(data[i + $1]) << (8 * UInt64($1)) }
            return width == 4 ? Float(bitPattern: UInt32(bits)) : Float(Double(bitPattern: bits))
        }
        return try Tensor(shape: shape, scalars: scalars)
    }
}
