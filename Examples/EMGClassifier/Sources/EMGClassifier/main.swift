// EMGClassifier: runs a converted Keras CNN+LSTM on 8-channel EMG samples.
//
// The model (`cnn_lstm.kconv`, made with `kconv import model.h5 -o cnn_lstm.kconv --test-input ...
// --test-output ...`) takes blocks of 4 windows of 50 samples x 8 channels, shape (blocks, 4, 50, 8, 1),
// and gives one value per block. The app reads `emg.csv` (a header, then one row per sample, one
// column per channel) with KerasRuntime's CSV reader, which cuts it into blocks of 4 windows of 50
// rows as the model's input shape says, and prints one prediction per block — what
// `kconv predict cnn_lstm.kconv --csv emg.csv --window 50` prints, with the same code.

import Foundation
import KerasRuntime

do {
    guard let modelURL = Bundle.module.url(forResource: "cnn_lstm", withExtension: "kconv"),
          let csvURL = Bundle.module.url(forResource: "emg", withExtension: "csv") else {
        throw KerasError(.io, "the app's resources are missing")
    }

    let start = Date()
    let model = try KerasModel(contentsOf: modelURL)
    let loadTime = Date().timeIntervalSince(start)
    print("model: \(model.inputs.map(\.description).joined(separator: ", ")) -> \(model.outputs.map(\.description).joined(separator: ", "))")
    if let p = model.provenance {
        print("converted from \(p.sourceName) (Keras \(p.kerasVersion), sha256 \(p.sourceSHA256.prefix(12))…), loaded in \(String(format: "%.1f", loadTime * 1000)) ms")
    }

    // The converted model checks itself against the outputs Keras computed, on this machine.
    let checks = try model.verifyStoredTestVectors()
    let worst = checks.map(\.maxAbsoluteError).max() ?? 0
    print("stored test vectors: \(checks.allSatisfy(\.passed) ? "PASS" : "FAIL") (max abs error \(worst))")

    // Channels 0-7 → windows of 50 rows → blocks of 4 windows: (blocks, 4, 50, 8, 1), 32 blocks per call.
    let csv = try CSVReader(contentsOf: csvURL, options: CSVOptions(columns: ColumnSelection(parsing: "0-7")))
    var blocks = try CSVSampleReader(csv, inputShape: model.inputs[0].shape, window: 50, scaler: model.scaler)
    let blockRows = blocks.windowing.rowsPerSample
    var index = 0
    while let batch = try blocks.nextBatch(maxSamples: 32) {
        let output = try model.predict(batch.input)
        for (row, first) in zip(try output.rows(), batch.firstRows) {
            let values = row.map { String(format: "%.6f", $0) }.joined(separator: ", ")
            print("block \(index) (rows \(first)..<\(first + blockRows)): \(values)")
            index += 1
        }
    }
    if blocks.rowsLeftOut > 0 {
        print("(ignoring the last \(blocks.rowsLeftOut) rows: not a whole block)")
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
