import ArgumentParser
import Foundation
import KerasRuntime

/// The formats `predict` and `score` write.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case npy, csv, jsonl

    /// The format a path's extension names (`-` is CSV), else `fallback`.
    static func guess(_ path: String?, fallback: OutputFormat) -> OutputFormat {
        guard let path, path != "-" else { return path == "-" ? .csv : fallback }
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "npy": return .npy
        case "csv", "tsv", "txt": return .csv
        case "jsonl", "json", "ndjson": return .jsonl
        default: return fallback
        }
    }
}

/// Refuses an output path that is one of the command's input files (the same file, by device and
/// inode, whatever the path says), naming both; and an output given twice.
enum OutputGuard {
    static func check(outputs: [String], inputs: [(path: String, role: String)]) throws {
        var paths = Set<String>()
        for output in outputs where output != "-" {
            guard paths.insert(URL(fileURLWithPath: output).standardizedFileURL.path).inserted else {
                throw KerasError(.invalidArgument, "is given as more than one output: give each output its own file", file: output)
            }
        }
        var seen: [(id: FileID, path: String)] = []
        for output in outputs where output != "-" {
            guard let id = FileID(output) else { continue }  // new file: nothing to lose
            guard !["/dev/", "/proc/"].contains(where: { output.hasPrefix($0) }) || id.isRegular else { continue }
            for input in inputs where input.path != "-" && FileID(input.path) == id {
                throw KerasError(.invalidArgument, "is the \(input.role) '\(input.path)': refusing to write over an input; choose another output file", file: output)
            }
            if let other = seen.first(where: { $0.id == id }) {
                throw KerasError(.invalidArgument, "is also the output '\(other.path)': give each output its own file", file: output)
            }
            seen.append((id, output))
        }
    }

    /// A file's identity: device and inode (through symbolic links).
    struct FileID: Equatable {
        let device: UInt64, inode: UInt64
        let isRegular: Bool

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            isRegular = info.st_mode & S_IFMT == S_IFREG
        }

        static func == (a: FileID, b: FileID) -> Bool { a.device == b.device && a.inode == b.inode }
    }
}

/// Writes model outputs batch by batch: `.npy` files (one per output), or one CSV or JSON-lines
/// table with a row per sample that names its source rows. Softmax outputs of a model with stored
/// labels are written as the label and its probability (and every class's with `allProbabilities`).
final class ResultWriter {
    let format: OutputFormat
    private let files: [OutputFile]
    private let model: KerasModel
    private let rowsPerSample: Int?
    private let labels: [String]?
    private let allProbabilities: Bool
    /// Per `.npy` output: the per-sample shape and the samples written (or buffered).
    private var npyShapes: [[Int]?]
    private var npyCounts: [Int]
    private var npyBuffers: [[Float]]
    private var samplesWritten = 0
    private var wroteHeader = false

    init(format: OutputFormat, paths: [String], model: KerasModel, rowsPerSample: Int?, allProbabilities: Bool) throws {
        self.format = format
        self.model = model
        self.rowsPerSample = rowsPerSample
        self.allProbabilities = allProbabilities
        if format == .npy {
            guard paths.count == model.outputs.count else {
                throw KerasError(.invalidArgument, "the model has \(model.outputs.count) output(s) (\(model.outputs.map(\.name).joined(separator: ", "))); give one --output for each")
            }
        } else {
            guard model.outputs.count == 1 else {
                throw KerasError(.invalidArgument, "--format \(format.rawValue) writes one output; the model has \(model.outputs.count) (\(model.outputs.map(\.name).joined(separator: ", "))): use --format npy with one --output each")
            }
            guard paths.count <= 1 else { throw KerasError(.invalidArgument, "--format \(format.rawValue) writes one --output (got \(paths.count))") }
        }
        let shape = model.outputs.first?.shape ?? []
        labels = model.labels.flatMap { shape.count == 2 && shape[1] == $0.count ? $0 : nil }
        npyShapes = Array(repeating: nil, count: paths.count)
        npyCounts = Array(repeating: 0, count: paths.count)
        npyBuffers = Array(repeating: [], count: paths.count)
        var opened: [OutputFile] = []
        for path in (paths.isEmpty ? ["-"] : paths) {
            do { opened.append(try OutputFile(path: path)) } catch {
                opened.forEach { $0.discard() }
                throw error
            }
        }
        files = opened
    }

    /// Removes unfinished output files (the old files stay whole).
    func discard() { files.forEach { $0.discard() } }

    /// Writes one batch: one tensor per model output; `firstRows` names each sample's CSV rows.
    func write(_ outputs: [Tensor], firstRows: [Int]?) throws {
        let count = outputs.first?.shape.first ?? 0
        switch format {
        case .npy:
            for (i, t) in outputs.enumerated() {
                let sampleShape = Array(t.shape.dropFirst())
                if npyShapes[i] == nil {
                    npyShapes[i] = sampleShape
                    if files[i].isReplacingAtomically { try files[i].write(Npy.header(shape: [0] + sampleShape)) }
                }
                npyCounts[i] += t.shape.first ?? 0
                if files[i].isReplacingAtomically { try files[i].write(littleEndianBytes(t.scalars)) } else { npyBuffers[i] += t.scalars }
            }
        case .csv, .jsonl:
            guard let t = outputs.first else { return }
            if format == .csv && !wroteHeader { try files[0].write(Array(csvHeader(sampleShape: Array(t.shape.dropFirst())).utf8)) }
            wroteHeader = true
            let width = count > 0 ? t.scalars.count / count : 0
            var text = ""
            for s in 0..<count {
                let values = t.scalars[(s * width)..<((s + 1) * width)]
                text += format == .csv ? csvRow(values, sample: samplesWritten + s, firstRow: firstRows?[s])
                                       : jsonRow(values, sample: samplesWritten + s, firstRow: firstRows?[s])
            }
            try files[0].write(Array(text.utf8))
        }
        samplesWritten += count
    }

    /// Completes the files (the `.npy` headers state the final sample counts).
    func finish() throws {
        if format == .npy {
            for (i, file) in files.enumerated() {
                let sampleShape = npyShapes[i] ?? model.outputs[i].shape.dropFirst().map { $0 ?? 0 }
                let header = Npy.header(shape: [npyCounts[i]] + sampleShape)
                if file.isReplacingAtomically {
                    if npyShapes[i] == nil { try file.write(header) } else {
                        guard header.count == Npy.header(shape: [0] + sampleShape).count else {
                            throw KerasError(.io, "internal: the .npy header grew", file: file.path)
                        }
                        try file.rewriteStart(header)
                    }
                } else {
                    try file.write(header + littleEndianBytes(npyBuffers[i]))
                }
            }
        } else if format == .csv && !wroteHeader {
            try files[0].write(Array(csvHeader(sampleShape: model.outputs[0].shape.dropFirst().map { $0 ?? 0 }).utf8))
        }
        for file in files { try file.commit() }
    }

    // MARK: Rows

    private func rowColumns(sample: Int, firstRow: Int?) -> [String] {
        guard let firstRow, let rowsPerSample else { return [String(sample)] }
        return [String(firstRow), String(firstRow + rowsPerSample - 1)]
    }

    private func csvHeader(sampleShape: [Int]) -> String {
        var names = rowsPerSample == nil ? ["sample"] : ["first_row", "last_row"]
        if let labels {
            names += ["label", "probability"]
            if allProbabilities { names += labels }
        } else {
            let count = sampleShape.reduce(1, *)
            names += (0..<count).map { "y" + Comparison.multiIndex(flat: $0, shape: sampleShape).map(String.init).joined(separator: "_") }
        }
        return names.map(Self.csvField).joined(separator: ",") + "\n"
    }

    private func csvRow(_ values: ArraySlice<Float>, sample: Int, firstRow: Int?) -> String {
        var fields = rowColumns(sample: sample, firstRow: firstRow)
        if let labels {
            let best = Self.argmax(values)
            fields += [Self.csvField(labels[best - values.startIndex]), Self.text(values[best])]
            if allProbabilities { fields += values.map(Self.text) }
        } else {
            fields += values.map(Self.text)
        }
        return fields.joined(separator: ",") + "\n"
    }

    private func jsonRow(_ values: ArraySlice<Float>, sample: Int, firstRow: Int?) -> String {
        var text = "{"
        if let firstRow, let rowsPerSample {
            text += "\"first_row\":\(firstRow),\"last_row\":\(firstRow + rowsPerSample - 1)"
        } else {
            text += "\"sample\":\(sample)"
        }
        let array = "[" + values.map(Self.json).joined(separator: ",") + "]"
        if let labels {
            let best = Self.argmax(values)
            text += ",\"label\":\(Self.jsonString(labels[best - values.startIndex])),\"probability\":\(Self.json(values[best]))"
            if allProbabilities { text += ",\"probabilities\":\(array)" }
        } else {
            text += ",\"output\":\(array)"
        }
        return text + "}\n"
    }

    /// The first index of the largest value, as `numpy.argmax` (a NaN counts as the largest).
    static func argmax(_ values: ArraySlice<Float>) -> Int {
        var best = values.startIndex
        for i in values.indices {
            if values[i].isNaN { return i }
            if values[i] > values[best] { best = i }
        }
        return best
    }

    /// The shortest text that reads back as the same `Float` (`nan`, `inf`, `-inf` for the rest).
    static func text(_ x: Float) -> String { x.isNaN ? "nan" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : "\(x)" }

    static func json(_ x: Float) -> String { x.isFinite ? "\(x)" : "null" }

    static func jsonString(_ s: String) -> String { JSON.string(s).serialized }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { ",\"\n\r".contains($0) }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private func littleEndianBytes(_ scalars: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count * 4)
        for x in scalars { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }
}
