// EMGClassifier: runs a converted Keras CNN+LSTM on 8-channel EMG samples.
//
// The model (`cnn_lstm.kconv`, made with `kconv import model.h5 -o cnn_lstm.kconv --test-input ...
// --test-output ...`) takes blocks of 4 windows of 50 samples x 8 channels, shape (blocks, 4, 50, 8, 1),
// and gives one value per block. The app reads `emg.csv` (one row per sample, one column per channel),
// cuts it into 50-row windows, groups them 4 at a time and prints one prediction per block.

import Foundation
import KerasRuntime

let windowLength = 50, windowsPerBlock = 4, channels = 8

/// Reads a CSV of numbers with a header row: one array per row.
func readCSV(_ url: URL) throws -> [[Float]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    var rows: [[Float]] = []
    for (number, line) in text.split(whereSeparator: \.isNewline).enumerated().dropFirst() {
        let fields = line.split(separator: ",")
        let values = fields.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == fields.count, values.count == channels else {
            throw KerasError(.format, "line \(number + 1): expected \(channels) numbers, got '\(line)'", file: url.lastPathComponent)
        }
        rows.append(values)
    }
    return rows
}

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

    // Samples → windows of 50 rows → blocks of 4 windows: (blocks, 4, 50, 8, 1).
    let samples = try readCSV(csvURL)
    let blockRows = windowLength * windowsPerBlock
    let blocks = samples.count / blockRows
    guard blocks > 0 else { throw KerasError(.format, "needs at least \(blockRows) rows, has \(samples.count)", file: "emg.csv") }
    var scalars: [Float] = []
    scalars.reserveCapacity(blocks * blockRows * channels)
    for row in samples.prefix(blocks * blockRows) { scalars += row }
    let input = try Tensor(shape: [blocks, windowsPerBlock, windowLength, channels, 1], scalars: scalars)
    if samples.count % blockRows != 0 {
        print("(ignoring the last \(samples.count % blockRows) rows: not a whole block)")
    }

    let output = try model.predict(input)
    for (i, row) in try output.rows().enumerated() {
        let first = i * blockRows
        let values = row.map { String(format: "%.6f", $0) }.joined(separator: ", ")
        print("block \(i) (rows \(first)..<\(first + blockRows)): \(values)")
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
