import ArgumentParser
import Foundation
import KerasRuntime

/// The options that say how to read model inputs from a CSV (`predict` and `score`).
struct CSVInputOptions: ParsableArguments {
    @Option(name: .long, help: "Read the input from a CSV of numbers (one row per time step; '-' for standard input) instead of .npy files.")
    var csv: String?

    @Option(name: .long, help: "The CSV columns to use, 0-based: ranges and lists such as 0-7 or 0,2,4-6 (default: all).")
    var columns: String?

    @Option(name: .long, help: "Rows per window (the input's time axis); optional when the model's input shape gives it.")
    var window: Int?

    @Option(name: .long, help: "Rows between the first rows of consecutive samples (default: a sample's length; 1 slides row by row).")
    var hop: Int?

    @Flag(name: .customLong("header"), inversion: .prefixedNo, help: "Whether the CSV's first line is a header (default: detected: a header when it holds a non-number).")
    var header: Bool?

    @Option(name: .long, help: "The CSV field separator: one character, or 'tab'.")
    var delimiter: String = ","

    @Option(name: .customLong("batch-size"), help: "Samples per model call (memory stays flat in the input's length).")
    var batchSize: Int = 32

    @Flag(name: .long, help: "No progress bar (there is none anyway when stderr is not a terminal).")
    var quiet = false

    /// Samples per model call: `--batch-size`, or the batch size the model itself fixes (a stateful
    /// model's `batch_input_shape`), which no other batch size can run.
    func batchSize(for model: KerasModel) -> Int {
        model.inputs.lazy.compactMap { $0.shape.first ?? nil }.first ?? batchSize
    }

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let window, window < 1 { throw ValidationError("--window must be at least 1") }
        if let hop, hop < 1 { throw ValidationError("--hop must be at least 1") }
        if csv == nil, columns != nil || window != nil || hop != nil || header != nil || delimiter != "," {
            throw ValidationError("--columns, --window, --hop, --header/--no-header and --delimiter go with --csv")
        }
        _ = try csvOptions()
    }

    /// The reading options, as the library takes them (argument errors as usage errors).
    func csvOptions() throws -> CSVOptions {
        let separator: Character
        switch delimiter {
        case "tab", "\\t": separator = "\t"
        default:
            guard delimiter.count == 1, let c = delimiter.first else {
                throw ValidationError("--delimiter must be one character or 'tab' (got '\(delimiter)')")
            }
            separator = c
        }
        do {
            return try CSVOptions(delimiter: separator, header: header.map { $0 ? .present : .absent } ?? .detect,
                                  columns: columns.map(ColumnSelection.init(parsing:)))
        } catch let error as KerasError {
            throw ValidationError("--\(error.message.contains("delimiter") ? "delimiter" : "columns"): \(error.message)")
        }
    }

    /// The CSV's samples for `model`'s one input, with its stored scaler applied.
    func samples(for model: KerasModel, modelPath: String) throws -> CSVSampleReader {
        guard let csv else { throw KerasError(.invalidArgument, "internal: no --csv") }
        guard model.inputs.count == 1 else {
            throw KerasError(.invalidArgument, "--csv feeds a model with one input; this one has \(model.inputs.count) (\(model.inputs.map(\.description).joined(separator: ", "))): give one --input .npy each", file: modelPath)
        }
        let options = try csvOptions()
        let reader = csv == "-"
            ? CSVReader(fileHandle: .standardInput, options: options, name: "<stdin>")
            : try CSVReader(contentsOf: URL(fileURLWithPath: csv), options: options)
        return try CSVSampleReader(reader, inputShape: model.inputs[0].shape, window: window, hop: hop, scaler: model.scaler)
    }
}

/// Where the samples come from: a CSV cut into windows, or `.npy` files cut into batches.
enum SampleSource {
    case csv(CSVSampleReader, fileSize: Int?)
    case arrays([Tensor], next: Int)

    /// The next batch: one tensor per model input, and each sample's first CSV row (CSV only).
    mutating func next(maxSamples: Int) throws -> (inputs: [Tensor], firstRows: [Int]?)? {
        switch self {
        case .csv(var reader, let size):
            let batch = try reader.nextBatch(maxSamples: maxSamples)
            self = .csv(reader, fileSize: size)
            return batch.map { ([$0.input], $0.firstRows) }
        case .arrays(let tensors, let next):
            let total = tensors.first?.shape.first ?? 0
            guard next < total else { return nil }
            let end = min(total, next + maxSamples)
            self = .arrays(tensors, next: end)
            return (try tensors.map { try $0.batchSlice(next..<end) }, nil)
        }
    }

    /// "[########            ] 40% 1234 samples from 246800 rows" for the progress line (no bar
    /// for standard input, whose length is unknown).
    var progress: String {
        switch self {
        case .csv(let reader, let size):
            let counts = "\(reader.samplesRead) samples from \(reader.rowsRead) rows"
            guard let size, size > 0 else { return counts }
            return Self.bar(percent: min(100, reader.bytesRead * 100 / size)) + " " + counts
        case .arrays(let tensors, let next):
            let total = tensors.first?.shape.first ?? 0
            return Self.bar(percent: total > 0 ? next * 100 / total : 100) + " \(next)/\(total) samples"
        }
    }

    private static func bar(percent: Int) -> String {
        let filled = percent / 5
        return "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: 20 - filled) + "] \(percent)%"
    }

    /// Opens the samples `--csv` or the `--input` files give, with the batch-size check of the inputs.
    static func open(_ options: CSVInputOptions, inputs: [String], model: KerasModel, modelPath: String) throws -> SampleSource {
        if let csv = options.csv {
            let size = csv == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: csv)[.size] as? Int) ?? nil
            return .csv(try options.samples(for: model, modelPath: modelPath), fileSize: size)
        }
        let tensors = try RunInputs.read(inputs, for: model, modelPath: modelPath)
        let sizes = Set(tensors.map { $0.shape.first ?? 0 })
        guard sizes.count <= 1 else {
            throw KerasError(.shape, "the --input arrays have different batch sizes \(sizes.sorted()); every input needs one sample per output row", file: modelPath)
        }
        return .arrays(tensors, next: 0)
    }
}

/// A one-line progress report on stderr, redrawn in place; only when stderr is a terminal.
struct Progress {
    let enabled: Bool
    private var lastDraw = Date.distantPast

    /// A progress line unless `quiet`, stderr is not a terminal, or the results go to the same
    /// terminal on stdout (`toStandardOutput`), where the line would mix with them.
    init(quiet: Bool, toStandardOutput: Bool) {
        enabled = !quiet && isatty(STDERR_FILENO) == 1 && !(toStandardOutput && isatty(STDOUT_FILENO) == 1)
    }

    mutating func update(_ text: @autoclosure () -> String) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text())".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

extension Tensor {
    /// Samples `range` of the batch axis.
    func batchSlice(_ range: Range<Int>) throws -> Tensor {
        let perSample = shape.dropFirst().reduce(1, *)
        return try Tensor(shape: [range.count] + shape.dropFirst(), scalars: Array(scalars[(range.lowerBound * perSample)..<(range.upperBound * perSample)]))
    }
}
