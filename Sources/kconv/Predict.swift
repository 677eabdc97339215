import ArgumentParser
import Foundation
import KerasImport
import KerasRuntime

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the model on .npy inputs or on a CSV of samples; write .npy, CSV or JSON lines.",
        discussion: """
            With --csv, rows become samples as the model's input shape says: for (None, 4, 50, 8, 1) a \
            sample is 4 windows of 50 rows of 8 columns (a trailing axis of 1 is a channel axis); for \
            (None, timesteps, features) a sample is `timesteps` rows. --hop sets the rows between \
            samples' first rows. The model's stored scaler is applied to the rows; rows that do not \
            fill a last sample are reported and left out. CSV and JSON-lines outputs name each \
            sample's source rows (0-based data rows, the header not counted); with stored labels, a \
            softmax output is written as the label and its probability (all of them with \
            --probabilities). --output - writes to standard output; a .npy there is written once the \
            last batch is done (its header needs the sample count), other formats row by row.
            """
    )

    @OptionGroup var source: ModelFile

    @OptionGroup var threadCap: ThreadCap

    @Option(name: .long, help: "An input .npy ('-' for standard input), one per model input, in the model's input order.")
    var input: [String] = []

    @OptionGroup var samples: CSVInputOptions

    @Option(name: .long, help: "Where to write the outputs ('-' for standard output): one .npy per model output, or one CSV or JSON-lines file.")
    var output: [String] = []

    @Option(name: .long, help: "npy, csv or jsonl (default: from --output's extension; csv for '-').")
    var format: OutputFormat?

    @Flag(name: .long, help: "With stored labels: every class's probability after the most likely label.")
    var probabilities = false

    func validate() throws {
        if samples.csv == nil, input.isEmpty { throw ValidationError("give the inputs: --input X.npy (one per model input) or --csv FILE") }
        if samples.csv != nil, !input.isEmpty { throw ValidationError("give either --csv or --input, not both") }
    }

    func run() throws {
        let model = try source.load().configured(threadCap.configuration)
        let chosen = format ?? OutputFormat.guess(output.first, fallback: samples.csv != nil ? .csv : .npy)
        let outputs = output.isEmpty && chosen != .npy ? ["-"] : output
        try OutputGuard.check(outputs: outputs, inputs: inputFiles)
        var source = try SampleSource.open(samples, inputs: input, model: model, modelPath: self.source.path)
        let rowsPerSample: Int? = if case .csv(let reader, _) = source { reader.windowing.rowsPerSample } else { nil }
        let writer: ResultWriter
        do {
            writer = try ResultWriter(format: chosen, paths: outputs, model: model, rowsPerSample: rowsPerSample, allProbabilities: probabilities)
        } catch let error as KerasError where error.file == nil {
            throw error.inFile(self.source.path)
        }
        let toStandardOutput = outputs.contains(where: OutputFile.standardOutputPaths.contains)
        var progress = Progress(quiet: samples.quiet, toStandardOutput: toStandardOutput)
        do {
            while let batch = try source.next(maxSamples: samples.batchSize(for: model)) {
                let results = try RunInputs.run(model, on: batch.inputs, modelPath: self.source.path)
                try writer.write(results, firstRows: batch.firstRows)
                progress.update(source.progress)
            }
            try writer.finish()
        } catch {
            progress.finish()
            writer.discard()
            throw error
        }
        progress.finish()
        if case .csv(let reader, _) = source { CSVReport.leftOut(reader) }
    }

    /// The files this command reads, which no output may replace.
    private var inputFiles: [(path: String, role: String)] {
        [(source.path, "model")] + (source.weights.map { [($0, "weights file")] } ?? [])
            + input.map { ($0, "input") } + (samples.csv.map { [($0, "CSV input")] } ?? [])
    }
}

/// Notes about the CSV rows on stderr.
enum CSVReport {
    /// Reports the rows after the last sample, which were left out.
    static func leftOut(_ reader: CSVSampleReader) {
        let left = reader.rowsLeftOut
        guard left > 0 else { return }
        let first = reader.rowsRead - left
        let range = left == 1 ? "row \(first)" : "rows \(first)-\(reader.rowsRead - 1)"
        FileHandle.standardError.write(Data("note: \(reader.name): the last \(left) row\(left == 1 ? "" : "s") (\(range)) do not fill a sample of \(reader.windowing.rowsPerSample) rows; left out\n".utf8))
    }
}

/// Reads the `--input` files and runs the model on them.
enum RunInputs {
    /// Runs the model, handing every layer call's outputs to `observer` when one is given; errors
    /// name the model file.
    static func run(_ model: KerasModel, on tensors: [Tensor], modelPath: String,
                    observing observer: ((String, Int, [Tensor]) throws -> Void)? = nil) throws -> [Tensor] {
        do {
            guard let observer else { return try model.predict(tensors) }
            return try model.predict(tensors, observing: observer)
        } catch {
            throw error.inFile(modelPath)
        }
    }

    /// Reads the `--input` files and checks them against the model's inputs.
    static func read(_ inputs: [String], for model: KerasModel, modelPath: String) throws -> [Tensor] {
        guard inputs.count == model.inputs.count else {
            let expected = model.inputs.map(\.description).joined(separator: ", ")
            throw KerasError(.invalidArgument, "the model takes \(model.inputs.count) input(s) (\(expected)); got \(inputs.count) --input", file: modelPath)
        }
        let tensors = try inputs.map(readArray)
        for (i, (t, path)) in zip(tensors, inputs).enumerated() {
            let expected = model.inputs[i].shape
            // A fixed batch size (a stateful model's) takes any whole number of batches: predict and
            // score run them one at a time.
            let ok = t.rank == expected.count && t.shape[0] > 0
                && zip(t.shape, expected).enumerated().allSatisfy { d, pair in
                    guard let e = pair.1 else { return true }
                    return d == 0 ? pair.0 % e == 0 : pair.0 == e
                }
            guard ok else {
                let batches = expected.first.flatMap { $0 }.map { " (a multiple of \($0) samples)" } ?? ""
                throw KerasError(.shape, "has shape \(t.shape); model input \(i) ('\(model.inputs[i].name)') needs \(expected.kerasDescription)\(batches)", file: path)
            }
        }
        return tensors
    }

    /// Reads one `.npy`; `-` (or `/dev/stdin`) is standard input.
    static func readArray(_ path: String) throws -> Tensor {
        guard path == "-" || path == "/dev/stdin" else { return try Npy.read(URL(fileURLWithPath: path)) }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return try Npy.read(data: data, name: "<stdin>")
    }
}
