/// The facts Keras' `model.summary()` prints: per layer name, class, output shape and parameters, and totals.
public struct ModelSummary: Sendable {
    /// A layer's output shape as Keras reports it.
    public enum OutputShape: Sendable, Equatable {
        case single(Shape)
        /// A layer with several outputs (an LSTM with `return_state`).
        case several([Shape])
        /// A layer called several times with different shapes (Keras prints `multiple`).
        case multiple
    }

    public struct Row: Sendable {
        public let name: String
        public let className: String
        public let outputShape: OutputShape
        public let parameters: Int
        /// The layers feeding each call, as `name[node][tensor]`.
        public let connectedTo: [String]
    }

    public let modelName: String
    public let isSequential: Bool
    public let rows: [Row]
    public let trainableParameters: Int
    public let nonTrainableParameters: Int
    public var totalParameters: Int { trainableParameters + nonTrainableParameters }

    public init(_ model: Model) {
        modelName = model.spec.name
        isSequential = model.spec.isSequential
        var rows: [Row] = []
        var trainable = 0, nonTrainable = 0
        for (i, layer) in model.layers.enumerated() {
            let counts = layer.parameterCounts
            trainable += counts.trainable
            nonTrainable += counts.nonTrainable
            if isSequential && layer is InputLayer { continue }
            let calls = model.callShapes[i].filter { !$0.isEmpty }
            let shape: OutputShape
            if let first = calls.first, calls.allSatisfy({ $0 == first }) {
                shape = first.count == 1 ? .single(first[0]) : .several(first)
            } else {
                shape = calls.isEmpty ? .several([]) : .multiple
            }
            let spec = model.spec.layers[i]
            rows.append(Row(name: layer.name, className: layer.className, outputShape: shape,
                            parameters: counts.trainable + counts.nonTrainable,
                            connectedTo: spec.calls.flatMap { $0.map(\.description) }))
        }
        self.rows = rows
        trainableParameters = trainable
        nonTrainableParameters = nonTrainable
    }

    /// The JSON form of `kconv summary --json` (DESIGN.md): batch dimension `null`.
    public var json: JSON {
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

    /// The table in the layout of tf.keras 2's `model.summary()`.
    public var text: String {
        let functional = !isSequential
        let widths = functional ? [32, 21, 12, 33] : [29, 26, 10]
        let total = widths.reduce(0, +)
        var lines = ["Model: \"\(modelName)\"", String(repeating: "_", count: total)]
        func row(_ fields: [String]) -> String {
            var line = ""
            for (f, w) in zip(fields, widths) {
                var cell = f
                if cell.count > w - 1 { cell = String(cell.prefix(w - 1)) }
                line += cell + String(repeating: " ", count: w - cell.count)
            }
            return line
        }
        lines.append(row(functional ? ["Layer (type)", "Output Shape", "Param #", "Connected to"] : ["Layer (type)", "Output Shape", "Param #"]))
        lines.append(String(repeating: "=", count: total))
        for (i, r) in rows.enumerated() {
            let shape: String
            switch r.outputShape {
            case .single(let s): shape = s.kerasDescription
            case .several(let ss): shape = "[" + ss.map(\.kerasDescription).joined(separator: ", ") + "]"
            case .multiple: shape = "multiple"
            }
            var fields = ["\(r.name) (\(r.className))", shape, ModelSummary.grouped(r.parameters)]
            if functional { fields.append(r.connectedTo.first ?? "") }
            lines.append(row(fields))
            if functional {
                for extra in r.connectedTo.dropFirst() { lines.append(row(["", "", "", extra])) }
            }
            lines.append(String(repeating: i == rows.count - 1 ? "=" : "_", count: total))
        }
        lines.append("Total params: \(ModelSummary.grouped(totalParameters))")
        lines.append("Trainable params: \(ModelSummary.grouped(trainableParameters))")
        lines.append("Non-trainable params: \(ModelSummary.grouped(nonTrainableParameters))")
        lines.append(String(repeating: "_", count: total))
        return lines.joined(separator: "\n")
    }

    /// `2398` → `2,398`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }
}
