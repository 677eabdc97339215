import KConvOps

extension WindowPadding {
    /// Reads `padding` (lower-cased, as Keras does); `causal` only where `allowsCausal`.
    init(config: LayerConfig, allowsCausal: Bool) throws {
        let text = try config.string("padding", default: "valid").lowercased()
        guard let p = WindowPadding(rawValue: text), p != .causal || allowsCausal else {
            throw config.unsupported("padding '\(text)' is not supported")
        }
        self = p
    }
}

extension WindowAxis {
    /// The output length for a possibly unknown input length (nil stays nil).
    func outputLength(_ length: Int?, padding: WindowPadding, layer: String) throws -> Int? {
        guard let length else { return nil }
        return try resolved(length: length, padding: padding, layer: layer).count
    }

    /// `layout`, throwing a shape error naming `layer` when no output remains.
    func resolved(length: Int, padding: WindowPadding, layer: String) throws -> (count: Int, padBefore: Int) {
        let l = layout(length: length, padding: padding)
        guard l.count > 0 else {
            throw KerasError(.shape, "layer '\(layer)': a spatial dimension of \(length) is too small for a window of \(effectiveSize) with \(padding.rawValue) padding (output length \(l.count))")
        }
        return l
    }
}

extension WindowPlan {
    /// The plan, or a shape error naming `layer` when an axis is too short for its window.
    init(batch: Int, height: Int, width: Int, channels: Int,
         rows: WindowAxis, cols: WindowAxis, padding: WindowPadding, layer: String) throws {
        _ = try rows.resolved(length: height, padding: padding, layer: layer)
        _ = try cols.resolved(length: width, padding: padding, layer: layer)
        self.init(batch: batch, height: height, width: width, channels: channels, rows: rows, cols: cols, padding: padding)
    }
}
