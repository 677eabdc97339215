import Foundation

/// The facts Keras' `model.summary()` prints: per layer name, class, output shape and parameters, and totals.
public struct ModelSummary: Sendable {
    /// A layer's output shape as Keras reports it.
    public enum OutputShape: Sendable, Equatable {
        case single([Int?])
        /// A layer with several outputs (an LSTM with `return_state`).
        case several([[Int?]])
        /// A layer called several times with different shapes (Keras prints `multiple`).
        case multiple
    }

    public struct Row: Sendable {
        public let name: String
        public let className: String
        public let outputShape: OutputShape
        public let parameters: Int
        /// The layers feeding each call, as `name[node][tensor]` with Keras' node numbering.
        public let printedConnections: [String]
        let isInput: Bool

        /// The shape as tf.keras prints it: `(None, 32)`, a list for several outputs and for InputLayers.
        var printedShape: String {
            switch outputShape {
            case .single(let s): return isInput ? "[\(s.kerasDescription)]" : s.kerasDescription
            case .several(let ss): return "[" + ss.map(\.kerasDescription).joined(separator: ", ") + "]"
            case .multiple: return "multiple"
            }
        }
    }

    public let modelName: String
    public let isSequential: Bool
    /// Whether Keras prints the short table without `Connected to` (a Sequential model or a plain chain).
    public let isSequentialLike: Bool
    public let rows: [Row]
    public let trainableParameters: Int
    public let nonTrainableParameters: Int
    public var totalParameters: Int { trainableParameters + nonTrainableParameters }
    /// The bytes of Keras' variables (4 per float32 element, 8 per int64 counter).
    let trainableBytes: Int
    let nonTrainableBytes: Int

    package init(_ model: LayerGraph) {
        modelName = model.spec.name
        isSequential = model.spec.isSequential
        let nestedModels = Set(model.layers.filter { $0 is NestedModel }.map(\.name))
        var rows: [Row] = []
        var trainable = 0, nonTrainable = 0, trainableBytes = 0, nonTrainableBytes = 0
        for (i, layer) in model.layers.enumerated() {
            let counts = layer.parameterCounts, bytes = layer.parameterBytes
            trainable += counts.trainable
            nonTrainable += counts.nonTrainable
            trainableBytes += bytes.trainable
            nonTrainableBytes += bytes.nonTrainable
            if isSequential && layer is InputLayer { continue }
            let calls = model.callShapes[i].filter { !$0.isEmpty }
            let shape: OutputShape
            if let first = calls.first, calls.allSatisfy({ $0 == first }) {
                shape = first.count == 1 ? .single(first[0]) : .several(first)
            } else {
                shape = calls.isEmpty ? .several([]) : .multiple
            }
            // Keras numbers a nested model's calls from 1 (its own construction is node 0).
            let connections = model.spec.layers[i].calls.flatMap { $0 }.map { ref in
                nestedModels.contains(ref.layer) ? "\(ref.layer)[\(ref.node + 1)][\(ref.tensor)]" : ref.description
            }
            rows.append(Row(name: layer.name, className: layer.className, outputShape: shape,
                            parameters: counts.trainable + counts.nonTrainable,
                            printedConnections: connections, isInput: layer is InputLayer))
        }
        self.rows = rows
        isSequentialLike = isSequential || model.isChain
        trainableParameters = trainable
        nonTrainableParameters = nonTrainable
        self.trainableBytes = trainableBytes
        self.nonTrainableBytes = nonTrainableBytes
    }

    /// The JSON form of `kconv summary --json` (DESIGN.md): batch dimension `null`.
    package var json: JSON {
        func shapeJSON(_ s: Shape) -> JSON { .array(s.map { $0.map { .number(Double($0)) } ?? .null }) }
        return .object([
            "layers": .array(rows.map { r in
                let shape: JSON
                switch r.outputShape {
                case .single(let s): shape = shapeJSON(s)
                case .several(let ss): shape = .array(ss.map(shapeJSON))
                case .multiple: shape = .string("multiple")
                }
                return .object([
                    "name": .string(r.name), "class_name": .string(r.className),
                    "output_shape": shape, "params": .number(Double(r.parameters)),
                ])
            }),
            "total_params": .number(Double(totalParameters)),
            "trainable_params": .number(Double(trainableParameters)),
            "non_trainable_params": .number(Double(nonTrainableParameters)),
        ])
    }

    /// The table exactly as tf.keras 2.13–2.21 (`tf_keras`) prints `model.summary()`.
    public var text: String {
        let lineLength = isSequentialLike ? 65 : 98
        let positions = isSequentialLike ? [29, 55, 65] : [29, 58, 68, 98]
        var lines = ["Model: \"\(modelName)\"", String(repeating: "_", count: lineLength)]
        lines += ModelSummary.wrappedRow(isSequentialLike ? ["Layer (type)", "Output Shape", "Param #"]
                                         : ["Layer (type)", "Output Shape", "Param #", "Connected to"], positions)
        lines.append(String(repeating: "=", count: lineLength))
        for r in rows {
            var fields = ["\(r.name) (\(r.className))", r.printedShape, String(r.parameters)]
            if !isSequentialLike {
                fields.append("[" + r.printedConnections.map { "'\($0)'" }.joined(separator: ", ") + "]")
            }
            lines += ModelSummary.wrappedRow(fields, positions)
            lines.append(String(repeating: " ", count: lineLength))
        }
        lines.append(String(repeating: "=", count: lineLength))
        func params(_ n: Int, _ bytes: Int) -> String { "\(n) (\(ModelSummary.readableSize(bytes)))" }
        lines.append("Total params: \(params(totalParameters, trainableBytes + nonTrainableBytes))")
        lines.append("Trainable params: \(params(trainableParameters, trainableBytes))")
        lines.append("Non-trainable params: \(params(nonTrainableParameters, nonTrainableBytes))")
        lines.append(String(repeating: "_", count: lineLength))
        return lines.joined(separator: "\n")
    }

    /// tf_keras' `print_row`: each field wrapped within its column, preferably after `),` `},` `],` `',`.
    static func wrappedRow(_ fields: [String], _ positions: [Int]) -> [String] {
        var left = fields.map { Array($0) }
        var lines: [String] = []
        while left.contains(where: { !$0.isEmpty }) {
            var line: [Character] = []
            for col in left.indices {
                let start = col > 0 ? positions[col - 1] : 0
                let last = col == positions.count - 1
                let space = last ? 0 : 2
                var cutoff = positions[col] - start - space - (last ? 0 : 1)
                var fit = Array(left[col].prefix(max(cutoff, 0)))
                let text = String(fit)
                let breaks = ["),", "},", "],", "',"].compactMap { mark in
                    text.range(of: mark).map { text.distance(from: text.startIndex, to: $0.upperBound) }
                }
                if let first = breaks.min() {
                    cutoff = first
                    fit = Array(fit.prefix(cutoff))
                }
                if col == 0 { line.append(" ") }
                line += fit
                line += Array(repeating: " ", count: space)
                left[col] = Array(left[col].dropFirst(max(cutoff, 0)))
                if positions[col] > line.count { line += Array(repeating: " ", count: positions[col] - line.count) }
            }
            lines.append(String(line))
        }
        return lines
    }

    /// tf_keras' `readable_memory_size`: `9.37 KB`, `0.00 Byte`.
    static func readableSize(_ bytes: Int) -> String {
        var size = Double(bytes)
        for unit in ["Byte", "KB", "MB", "GB", "TB"] {
            if size / 1024 < 1 { return String(format: "%.2f %@", size, unit) }
            size /= 1024
        }
        return String(format: "%.2f PB", size)
    }
}
