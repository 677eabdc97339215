extension GraphSpec {
    /// The most elements one sample of a model input may have (2^40): far beyond any real model,
    /// low enough that shape arithmetic on it cannot overflow.
    static let maxInputSampleElements = 1 << 40

    /// Rejects input shapes (`batch_input_shape` anywhere in the graph, nested models included)
    /// whose sizes are negative or whose product is absurd, before shape inference multiplies them.
    /// `what` names the graph in the message ("the header's graph").
    package func checkInputShapes(what: String) throws {
        func visit(_ value: JSON, depth: Int) throws {
            guard depth < 300 else { return }
            switch value {
            case .object(let members):
                if let shape = members["batch_input_shape"]?.arrayValue {
                    var product = 1
                    for d in shape.dropFirst() where !d.isNull {
                        guard let n = d.intValue, n >= 0 else {
                            throw KerasError(.format, "\(what) has an input shape \(JSON.array(shape).serialized.clipped) with a size that is not an integer ≥ 0")
                        }
                        let (p, overflow) = product.multipliedReportingOverflow(by: n)
                        guard !overflow, p <= Self.maxInputSampleElements else {
                            throw KerasError(.format, "\(what) has an input shape \(JSON.array(shape).serialized.clipped) of more than 2^40 elements per sample")
                        }
                        product = p
                    }
                }
                for v in members.values { try visit(v, depth: depth + 1) }
            case .array(let items):
                for v in items { try visit(v, depth: depth + 1) }
            default:
                break
            }
        }
        for layer in layers { try visit(.object(layer.config), depth: 0) }
    }
}
