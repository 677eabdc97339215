/// A Keras tensor shape: batch first, `nil` for a dimension unknown until run time.
package typealias Shape = [Int?]

/// Sizes kconv refuses as absurd: far beyond any real Keras model, low enough that shape arithmetic
/// cannot overflow and that a hostile config cannot make kconv allocate without bound.
package enum SizeLimit {
    /// The largest dimension or integer size option: 2^31 − 1.
    package static let dimension = Int(Int32.max)
    /// The most elements one sample of any tensor in a graph may have: 2^28 (1 GiB of float32).
    package static let sampleElements = 1 << 28
    /// The most elements one weight may have: 2^30 (4 GiB of float32).
    package static let weightElements = 1 << 30

    /// Checks that a shape's known sample dimensions multiply to at most `sampleElements`.
    static func check(_ shape: Shape, of what: @autoclosure () -> String) throws {
        var n = 1
        for d in shape.dropFirst() {
            guard let d else { continue }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, p <= sampleElements else {
                throw KerasError(.unsupported, "\(what()) has shape \(shape.kerasDescription): more than 2^28 elements per sample, which kconv refuses as absurd")
            }
            n = p
        }
    }
}

extension Array where Element == Int? {
    /// Keras' printed form: `(None, 32)`.
    package var kerasDescription: String {
        let parts = map { $0.map(String.init) ?? "None" }
        return "(" + parts.joined(separator: ", ") + (count == 1 ? ",)" : ")")
    }

    /// The shape of one sample, without the batch dimension.
    package var sampleShape: Shape { Array(dropFirst()) }

    /// The product of the known sample dimensions, or nil if one is unknown.
    package var knownSampleCount: Int? {
        var n = 1
        for d in dropFirst() {
            guard let d else { return nil }
            n *= d
        }
        return n
    }
}

/// An axis option resolved against a rank: negative axes count from the end.
func resolvedAxis(_ axis: Int, rank: Int, layer: String) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else {
        throw KerasError(.shape, "layer '\(layer)': axis \(axis) is out of range for an input of rank \(rank)")
    }
    return a
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
