/// A Keras tensor shape: batch first, `nil` for a dimension unknown until run time.
public typealias Shape = [Int?]

extension Array where Element == Int? {
    /// Keras' printed form: `(None, 32)`.
    public var kerasDescription: String {
        let parts = map { $0.map(String.init) ?? "None" }
        return "(" + parts.joined(separator: ", ") + (count == 1 ? ",)" : ")")
    }

    /// The shape of one sample, without the batch dimension.
    public var sampleShape: Shape { Array(dropFirst()) }

    /// The product of the known sample dimensions, or nil if one is unknown.
    public var knownSampleCount: Int? {
        var n = 1
        for d in dropFirst() {
            guard let d else { return nil }
            n *= d
        }
        return n
    }
}

/// Checks and reads the static parts of layer input shapes, with errors that name the layer.
struct ShapeCheck {
    let layer: String

    /// Exactly one input of the given rank (batch included); returns it.
    func single(_ shapes: [Shape], rank: Int? = nil, minRank: Int? = nil) throws -> Shape {
        guard shapes.count == 1 else {
            throw KerasError(.shape, "layer '\(layer)' expects 1 input, got \(shapes.count)")
        }
        let s = shapes[0]
        if let rank, s.count != rank {
            throw KerasError(.shape, "layer '\(layer)' expects an input of rank \(rank), got shape \(s.kerasDescription)")
        }
        if let minRank, s.count < minRank {
            throw KerasError(.shape, "layer '\(layer)' expects an input of rank ≥ \(minRank), got shape \(s.kerasDescription)")
        }
        return s
    }

    /// A dimension that must be known (features, channels...).
    func known(_ d: Int?, _ what: String) throws -> Int {
        guard let d else { throw KerasError(.unsupported, "layer '\(layer)' needs a known \(what) dimension") }
        return d
    }
}
