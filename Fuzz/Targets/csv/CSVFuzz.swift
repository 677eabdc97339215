import FuzzDriver
import Foundation
import KerasRuntime

/// CSV files (`predict --csv`, `score --csv`, apps' `CSVReader`): any bytes give rows and windowed
/// batches, or a KerasError. The first byte picks the delimiter, the header rule, the columns and
/// the input shape the rows are windowed for; the rest is the file, read whole and in small chunks.
let shapes: [[Int?]] = [[nil, 3, 2], [nil, 2, 2, 2, 1], [nil, nil, 1], [nil, 4]]
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let choice = bytes.first else { return 0 }
    let text = Array(bytes.dropFirst())
    let headers: [CSVOptions.Header] = [.detect, .present, .absent]
    guard let options = try? CSVOptions(delimiter: choice & 1 == 0 ? "," : ";", header: headers[Int(choice >> 1) % 3],
                                        columns: choice & 8 == 0 ? nil : try? ColumnSelection(parsing: "0-1")) else { return 0 }
    let shape = shapes[Int(choice >> 4) % shapes.count]
    // Whole: every row.
    var whole = CSVReader(bytes: text, options: options, name: "fuzz.csv")
    while (try? whole.nextRow()) != nil {}
    // In chunks of 7 bytes, cut into samples of `shape`, 3 at a time.
    var offset = 0
    let chunked = CSVReader(options: options, name: "fuzz.csv") {
        guard offset < text.count else { return nil }
        defer { offset += 7 }
        return Array(text[offset..<min(offset + 7, text.count)])
    }
    if var samples = try? CSVSampleReader(chunked, inputShape: shape, window: shape[1] == nil ? 2 : nil, hop: Int(choice % 3) + 1) {
        while let batch = try? samples.nextBatch(maxSamples: 3) {
            _ = batch.input
        }
    }
    return 0
})
