import ArgumentParser
import Foundation
import KerasImport
import KerasRuntime

/// `kconv score`: per-sample reconstruction errors of an autoencoder, anomalies flagged.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score samples by an autoencoder's reconstruction error (MSE and MAE) and flag anomalies.",
        discussion: """
            For models whose output shape equals their input's. Each sample's errors are the mean \\
            squared and the mean absolute difference between the model's input (after the stored \\
            scaler) and its output, over all of the sample's elements. --threshold (or the threshold \\
            stored by 'kconv import --threshold') flags samples whose error (--metric, MSE by default) \\
            is above it. One row per sample goes to --output (CSV or JSON lines, '-' by default); a \\
            summary line with the counts goes to stderr.
            """
    )

    /// The error a threshold applies to.
    enum Metric: String, ExpressibleByArgument, CaseIterable { case mse, mae }

    @OptionGroup var source: ModelFile

    @Option(name: .long, help: "An input .npy ('-' for standard input) instead of --csv.")
    var input: String?

    @OptionGroup var samples: CSVInputOptions

    @OptionGroup var threadCap: ThreadCap

    @Option(name: .long, help: "Where to write the scores ('-' for standard output).")
    var output: String = "-"

    @Option(name: .long, help: "csv or jsonl (default: from --output's extension; csv for '-').")
    var format: OutputFormat?

    @Option(name: .long, help: "Flag samples whose error is above T (default: the model's stored threshold).")
    var threshold: Float?

    @Option(name: .long, help: "The error --threshold applies to: mse or mae.")
    var metric: Metric = .mse

    func validate() throws {
        if samples.csv == nil, input == nil { throw ValidationError("give the samples: --csv FILE or --input X.npy") }
        if samples.csv != nil, input != nil { throw ValidationError("give either --csv or --input, not both") }
        if format == nil, OutputFormat.guess(output, fallback: .csv) == .npy { throw ValidationError("scores are written as csv or jsonl, not .npy") }
        if format == .npy { throw ValidationError("--format npy is not available for scores: use csv or jsonl") }
        if let threshold, !threshold.isFinite { throw ValidationError("--threshold must be a finite number") }
    }

    func run() throws {
        var inputs = [(path: source.path, role: "model")] + (source.weights.map { [($0, "weights file")] } ?? [])
        inputs += (input.map { [($0, "input")] } ?? []) + (samples.csv.map { [($0, "CSV input")] } ?? [])
        try OutputGuard.check(outputs: [output], inputs: inputs)
        let model = try source.load().configured(threadCap.configuration)
        guard model.inputs.count == 1, model.outputs.count == 1,
              model.inputs[0].shape.dropFirst() == model.outputs[0].shape.dropFirst() else {
            throw KerasError(.invalidArgument, "score needs a model whose output has its input's shape (an autoencoder); this one maps \(model.inputs.map(\.description).joined(separator: ", ")) to \(model.outputs.map(\.description).joined(separator: ", "))", file: source.path)
        }
        let chosen = format ?? OutputFormat.guess(output, fallback: .csv)
        var source = try SampleSource.open(samples, inputs: input.map { [$0] } ?? [], model: model, modelPath: self.source.path)
        let rowsPerSample: Int? = if case .csv(let reader, _) = source { reader.windowing.rowsPerSample } else { nil }
        let limit = threshold ?? model.anomalyThreshold
        let file = try OutputFile(path: output)
        var progress = Progress(quiet: samples.quiet, toStandardOutput: OutputFile.standardOutputPaths.contains(output))
        var count = 0, anomalies = 0
        var worst: (error: Double, row: String)?
        do {
            if chosen == .csv {
                let rowNames = rowsPerSample == nil ? "sample" : "first_row,last_row"
                try file.write(Array("\(rowNames),mse,mae\(limit == nil ? "" : ",anomaly")\n".utf8))
            }
            while let batch = try source.next(maxSamples: samples.batchSize(for: model)) {
                let x = batch.inputs[0]
                let y = try RunInputs.run(model, on: batch.inputs, modelPath: self.source.path)[0]
                guard y.shape == x.shape else {
                    throw KerasError(.shape, "the model's output \(y.shape) does not have its input's shape \(x.shape): no reconstruction error", file: self.source.path)
                }
                let errors = ReconstructionError.perSample(input: x, output: y)
                var text = ""
                for (s, e) in errors.enumerated() {
                    let index = count + s
                    let rows = batch.firstRows.map { first in (first[s], first[s] + (rowsPerSample ?? 1) - 1) }
                    let value = metric == .mse ? e.mse : e.mae
                    let flagged = limit.map { value > Double($0) }
                    if flagged == true { anomalies += 1 }
                    let name = rows.map { "rows \($0.0)-\($0.1)" } ?? "sample \(index)"
                    if worst == nil || value > worst!.error { worst = (value, name) }
                    switch chosen {
                    case .csv:
                        let where_ = rows.map { "\($0.0),\($0.1)" } ?? "\(index)"
                        text += "\(where_),\(e.mse),\(e.mae)\(flagged.map { $0 ? ",1" : ",0" } ?? "")\n"
                    default:
                        let where_ = rows.map { "\"first_row\":\($0.0),\"last_row\":\($0.1)" } ?? "\"sample\":\(index)"
                        text += "{\(where_),\"mse\":\(Self.json(e.mse)),\"mae\":\(Self.json(e.mae))\(flagged.map { ",\"anomaly\":\($0)" } ?? "")}\n"
                    }
                }
                count += errors.count
                try file.write(Array(text.utf8))
                progress.update(source.progress)
            }
            try file.commit()
        } catch {
            progress.finish()
            file.discard()
            throw error
        }
        progress.finish()
        if case .csv(let reader, _) = source { CSVReport.leftOut(reader) }
        var summary = "scored \(count) sample\(count == 1 ? "" : "s")"
        if let limit {
            summary += ": \(anomalies) anomal\(anomalies == 1 ? "y" : "ies"), \(count - anomalies) normal (\(metric.rawValue.uppercased()) > \(limit))"
        }
        if let worst { summary += "; highest \(metric.rawValue.uppercased()) \(worst.error) at \(worst.row)" }
        FileHandle.standardError.write(Data("\(summary)\n".utf8))
    }

    private static func json(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
}

/// Reconstruction errors: how far an autoencoder's output is from its input, sample by sample.
enum ReconstructionError {
    /// Each sample's mean squared and mean absolute error over all its elements, summed in `Double`
    /// (`y` has `x`'s shape).
    static func perSample(input x: Tensor, output y: Tensor) -> [(mse: Double, mae: Double)] {
        let samples = x.shape.first ?? 0
        guard samples > 0, x.scalars.count == y.scalars.count, x.scalars.count % samples == 0 else { return [] }
        let width = x.scalars.count / samples
        return (0..<samples).map { s in
            var squares = 0.0, absolutes = 0.0
            for i in (s * width)..<((s + 1) * width) {
                let d = Double(x.scalars[i]) - Double(y.scalars[i])
                squares += d * d
                absolutes += abs(d)
            }
            return (squares / Double(width), absolutes / Double(width))
        }
    }
}
