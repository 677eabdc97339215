import Foundation

/// What a `.kconv` file keeps for the model's users besides the model: class labels, the input
/// scaler it was trained with, and an anomaly threshold (set by `kconv import --labels --scaler
/// --threshold`).
public struct ModelAnnotations: Sendable, Equatable {
    /// The class names, in class-index order (one per element of the output's last axis).
    public var labels: [String]?
    /// The scaler to apply to raw inputs before the model sees them.
    public var scaler: InputScaler?
    /// The reconstruction error above which a sample is an anomaly (for autoencoders).
    public var anomalyThreshold: Float?

    public init(labels: [String]? = nil, scaler: InputScaler? = nil, anomalyThreshold: Float? = nil) {
        self.labels = labels
        self.scaler = scaler
        self.anomalyThreshold = anomalyThreshold
    }

    /// The `.kconv` metadata keys (`labels`, `scaler`, `anomaly_threshold`) holding these annotations.
    package var metadata: [String: String] {
        var out: [String: String] = [:]
        if let labels { out["labels"] = JSON.array(labels.map(JSON.string)).serialized }
        if let scaler { out["scaler"] = scaler.json }
        if let anomalyThreshold { out["anomaly_threshold"] = "\(anomalyThreshold)" }
        return out
    }

    /// The annotations stored in a `.kconv` file's metadata.
    package init(metadata: [String: String]) throws {
        if let text = metadata["labels"] {
            guard let items = (try? JSON(parsing: text))?.arrayValue, case let names = items.compactMap(\.stringValue),
                  names.count == items.count else {
                throw KerasError(.format, "the header's labels are not a JSON array of strings")
            }
            labels = names
        }
        if let text = metadata["scaler"] {
            do { scaler = try InputScaler(json: text) } catch let error as KerasError {
                throw KerasError(.format, "the header's scaler \(error.message)")
            }
        }
        if let text = metadata["anomaly_threshold"] {
            guard let t = Float(text), t.isFinite else {
                throw KerasError(.format, "the header's anomaly_threshold '\(text.clipped)' is not a finite number")
            }
            anomalyThreshold = t
        }
    }

    /// Reads a labels file: one label per line, in class-index order (trailing blank lines ignored).
    public static func readLabels(_ url: URL) throws -> [String] {
        let data = try FileBytes.read(url, format: "labels text")
        guard let text = String(data: data, encoding: .utf8) else {
            throw KerasError(.format, "is not UTF-8 text", file: url.path)
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        if let blank = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw KerasError(.format, "line \(blank + 1) is blank: give one label per line, in class-index order", file: url.path)
        }
        return lines.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Checks the annotations against the model they are kept with: labels need one output whose
    /// last axis has one element per label; the scaler needs one input whose feature count it fits.
    package func check(inputs: [[Int?]], outputs: [[Int?]]) throws {
        if let labels {
            guard outputs.count == 1, let classes = outputs[0].last, let n = classes else {
                throw KerasError(.invalidArgument, "labels need a model with one output of a known last axis (its outputs: \(outputs.map(\.kerasDescription).joined(separator: ", ")))")
            }
            guard n == labels.count else {
                throw KerasError(.invalidArgument, "\(labels.count) label\(labels.count == 1 ? "" : "s") for the model's output \(outputs[0].kerasDescription), which has \(n) classes")
            }
        }
        if let scaler {
            guard inputs.count == 1 else {
                throw KerasError(.invalidArgument, "a scaler needs a model with one input (it has \(inputs.count))")
            }
            let shape = inputs[0], dims = Array(shape.dropFirst())
            let features = dims.isEmpty ? nil : dims[SampleWindowing.featureAxis(of: dims, valuesPerRow: scaler.featureCount)]
            if let features, features != scaler.featureCount {
                throw KerasError(.invalidArgument, "a scaler fitted on \(scaler.featureCount) feature\(scaler.featureCount == 1 ? "" : "s") for the model's input \(shape.kerasDescription), which takes \(features) per row")
            }
        }
    }
}
