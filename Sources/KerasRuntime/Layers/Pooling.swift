/// Options shared by the max-pooling layers, read and checked from a config.
struct PoolOptions: Sendable {
    /// Pool size and stride per spatial axis (dilation 1).
    let axes: [WindowAxis]
    let padding: WindowPadding

    init(config: LayerConfig, rank: Int) throws {
        let sizes = try config.ints("pool_size", count: rank, default: Array(repeating: 2, count: rank))
        // A null or missing `strides` means the pool size (Keras' default).
        let strides = try config.ints("strides", count: rank, default: sizes)
        guard sizes.allSatisfy({ $0 > 0 }) else { throw config.unsupported("pool_size \(sizes) must be positive") }
        guard strides.allSatisfy({ $0 > 0 }) else { throw config.unsupported("strides \(strides) must be positive") }
        axes = (0..<rank).map { WindowAxis(size: sizes[$0], stride: strides[$0], dilation: 1) }
        padding = try WindowPadding(config: config, allowsCausal: false)
        let format = try config.string("data_format", default: "channels_last")
        guard format == "channels_last" else { throw config.unsupported("data_format '\(format)' is not supported") }
    }
}

/// Max pooling over NHWC inputs; padded cells are skipped, so they never win.
///
/// Like TensorFlow's MaxPool, the running maximum starts at the lowest finite float and NaN never
/// wins a comparison: a window holding NaN yields its largest other value, and a window of only NaN
/// (or -inf) yields -3.4028235e38 (Conformance/cases/nan_propagation).
enum MaxPoolKernel {
    /// Returns `(batch, outH, outW, channels)` scalars, row-major.
    static func pool(_ input: [Float], plan p: WindowPlan) -> [Float] {
        let c = p.channels
        let total = p.outputPositions * c
        guard total > 0 else { return [] }
        var out = [Float](repeating: -.greatestFiniteMagnitude, count: total)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for b in 0..<p.batch {
                    for oy in 0..<p.outHeight {
                        let y0 = oy * p.rows.stride - p.padTop
                        let yLo = max(y0, 0), yHi = min(y0 + p.rows.size, p.height)
                        for ox in 0..<p.outWidth {
                            let x0 = ox * p.cols.stride - p.padLeft
                            let xLo = max(x0, 0), xHi = min(x0 + p.cols.size, p.width)
                            let o = ((b * p.outHeight + oy) * p.outWidth + ox) * c
                            for iy in yLo..<max(yLo, yHi) {
                                for ix in xLo..<max(xLo, xHi) {
                                    let i = ((b * p.height + iy) * p.width + ix) * c
                                    for ch in 0..<c where src[i + ch] > dst[o + ch] {
                                        dst[o + ch] = src[i + ch]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Keras `MaxPooling1D` (channels_last): `(batch, steps, channels)` → `(batch, new_steps, channels)`.
///
/// `strides` defaults to `pool_size`; padding `valid` or `same` (extra cell at the end, never chosen).
struct MaxPooling1D: WeightlessLayer {
    let name: String
    var className: String { "MaxPooling1D" }
    let options: PoolOptions

    init(config: LayerConfig) throws {
        name = config.name
        options = try PoolOptions(config: config, rank: 1)
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 3)
        return [s[0], try options.axes[0].outputLength(s[1], padding: options.padding, layer: name), s[2]]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3 else {
            throw KerasError(.shape, "layer '\(name)' expects input (batch, steps, channels), got shape \(x.shape)")
        }
        let plan = try WindowPlan(batch: x.shape[0], height: 1, width: x.shape[1], channels: x.shape[2],
                                  rows: WindowAxis(size: 1, stride: 1, dilation: 1), cols: options.axes[0],
                                  padding: options.padding, layer: name)
        return Tensor(uncheckedShape: [plan.batch, plan.outWidth, plan.channels],
                      scalars: MaxPoolKernel.pool(x.scalars, plan: plan))
    }
}

/// Keras `MaxPooling2D` (channels_last): `(batch, h, w, channels)` → `(batch, h', w', channels)`.
///
/// `strides` defaults to `pool_size`; padding `valid` or `same` (extra row/column at the end, never chosen).
struct MaxPooling2D: WeightlessLayer {
    let name: String
    var className: String { "MaxPooling2D" }
    let options: PoolOptions

    init(config: LayerConfig) throws {
        name = config.name
        options = try PoolOptions(config: config, rank: 2)
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 4)
        return [s[0],
                try options.axes[0].outputLength(s[1], padding: options.padding, layer: name),
                try options.axes[1].outputLength(s[2], padding: options.padding, layer: name),
                s[3]]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else {
            throw KerasError(.shape, "layer '\(name)' expects input (batch, height, width, channels), got shape \(x.shape)")
        }
        let plan = try WindowPlan(batch: x.shape[0], height: x.shape[1], width: x.shape[2], channels: x.shape[3],
                                  rows: options.axes[0], cols: options.axes[1], padding: options.padding, layer: name)
        return Tensor(uncheckedShape: [plan.batch, plan.outHeight, plan.outWidth, plan.channels],
                      scalars: MaxPoolKernel.pool(x.scalars, plan: plan))
    }
}

/// Average pooling over NHWC inputs: each output is the mean of the window's *real* cells, so a
/// window reaching into `same` padding divides by fewer than `pool_size` cells (TensorFlow's AvgPool).
enum AveragePoolKernel {
    /// Returns `(batch, outH, outW, channels)` scalars, row-major.
    static func pool(_ input: [Float], plan p: WindowPlan) -> [Float] {
        let c = p.channels
        let total = p.outputPositions * c
        guard total > 0 else { return [] }
        var out = [Float](repeating: 0, count: total)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for b in 0..<p.batch {
                    for oy in 0..<p.outHeight {
                        let y0 = oy * p.rows.stride - p.padTop
                        let yLo = max(y0, 0), yHi = min(y0 + p.rows.size, p.height)
                        for ox in 0..<p.outWidth {
                            let x0 = ox * p.cols.stride - p.padLeft
                            let xLo = max(x0, 0), xHi = min(x0 + p.cols.size, p.width)
                            let o = ((b * p.outHeight + oy) * p.outWidth + ox) * c
                            for iy in yLo..<max(yLo, yHi) {
                                for ix in xLo..<max(xLo, xHi) {
                                    let i = ((b * p.height + iy) * p.width + ix) * c
                                    for ch in 0..<c { dst[o + ch] += src[i + ch] }
                                }
                            }
                            let count = Float(max(0, yHi - yLo) * max(0, xHi - xLo))
                            for ch in 0..<c { dst[o + ch] /= count }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Keras `AveragePooling1D` (channels_last): `(batch, steps, channels)` → `(batch, new_steps, channels)`.
///
/// `strides` defaults to `pool_size`; padding `valid` or `same` (windows overlapping the padding
/// average only their real cells).
struct AveragePooling1D: WeightlessLayer {
    let name: String
    var className: String { "AveragePooling1D" }
    let options: PoolOptions

    init(config: LayerConfig) throws {
        name = config.name
        options = try PoolOptions(config: config, rank: 1)
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 3)
        return [s[0], try options.axes[0].outputLength(s[1], padding: options.padding, layer: name), s[2]]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3 else {
            throw KerasError(.shape, "layer '\(name)' expects input (batch, steps, channels), got shape \(x.shape)")
        }
        let plan = try WindowPlan(batch: x.shape[0], height: 1, width: x.shape[1], channels: x.shape[2],
                                  rows: WindowAxis(size: 1, stride: 1, dilation: 1), cols: options.axes[0],
                                  padding: options.padding, layer: name)
        return Tensor(uncheckedShape: [plan.batch, plan.outWidth, plan.channels],
                      scalars: AveragePoolKernel.pool(x.scalars, plan: plan))
    }
}

/// Keras `AveragePooling2D` (channels_last): `(batch, h, w, channels)` → `(batch, h', w', channels)`.
///
/// `strides` defaults to `pool_size`; padding `valid` or `same` (windows overlapping the padding
/// average only their real cells).
struct AveragePooling2D: WeightlessLayer {
    let name: String
    var className: String { "AveragePooling2D" }
    let options: PoolOptions

    init(config: LayerConfig) throws {
        name = config.name
        options = try PoolOptions(config: config, rank: 2)
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 4)
        return [s[0],
                try options.axes[0].outputLength(s[1], padding: options.padding, layer: name),
                try options.axes[1].outputLength(s[2], padding: options.padding, layer: name),
                s[3]]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else {
            throw KerasError(.shape, "layer '\(name)' expects input (batch, height, width, channels), got shape \(x.shape)")
        }
        let plan = try WindowPlan(batch: x.shape[0], height: x.shape[1], width: x.shape[2], channels: x.shape[3],
                                  rows: options.axes[0], cols: options.axes[1], padding: options.padding, layer: name)
        return Tensor(uncheckedShape: [plan.batch, plan.outHeight, plan.outWidth, plan.channels],
                      scalars: AveragePoolKernel.pool(x.scalars, plan: plan))
    }
}

/// Keras' global pooling layers: `GlobalMaxPooling1D/2D`, `GlobalAveragePooling1D/2D`.
///
/// channels_last: `(batch, steps, C)` or `(batch, H, W, C)` → `(batch, C)`, or with `keepdims=True`
/// `(batch, 1, C)` / `(batch, 1, 1, C)`. channels_first: `(batch, C, steps)` / `(batch, C, H, W)`
/// → `(batch, C)` or `(batch, C, 1[, 1])`. `GlobalAveragePooling1D` honours a `(batch, steps)` mask
/// (Keras 2.3+, tf.keras, Keras 3): `sum(x·m) / sum(m)` over the steps; every other global pool
/// drops the mask, and none passes one on.
struct GlobalPooling: WeightlessLayer {
    let name: String
    let className: String
    /// 1 or 2 spatial axes.
    let spatialRank: Int
    let isMax: Bool
    let keepDims: Bool
    let channelsFirst: Bool

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        switch config.className {
        case "GlobalMaxPooling1D": (spatialRank, isMax) = (1, true)
        case "GlobalMaxPooling2D": (spatialRank, isMax) = (2, true)
        case "GlobalAveragePooling1D": (spatialRank, isMax) = (1, false)
        case "GlobalAveragePooling2D": (spatialRank, isMax) = (2, false)
        default: throw config.unsupported("is not a global pooling layer")
        }
        keepDims = try config.bool("keepdims", default: false)
        let format = try config.string("data_format", default: "channels_last")
        guard format == "channels_last" || format == "channels_first" else {
            throw config.unsupported("data_format '\(format)' is not supported")
        }
        channelsFirst = format == "channels_first"
    }

    /// The spatial axes of an input of rank `spatialRank + 2`.
    private var spatialAxes: [Int] { channelsFirst ? Array(2..<(2 + spatialRank)) : Array(1...spatialRank) }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: spatialRank + 2)
        if keepDims {
            var out = s
            for a in spatialAxes { out[a] = 1 }
            return out
        }
        return [s[0], channelsFirst ? s[1] : s[s.count - 1]]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try pooled(x, mask: nil)
    }

    /// The pooled tensor; `mask` `(batch, steps)` weights the steps of a 1-D average.
    private func pooled(_ x: Tensor, mask: Tensor?) throws -> Tensor {
        guard x.rank == spatialRank + 2 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(spatialRank + 2), got shape \(x.shape)")
        }
        let batch = x.shape[0]
        let channels = channelsFirst ? x.shape[1] : x.shape[x.rank - 1]
        let cells = spatialAxes.reduce(1) { $0 * x.shape[$1] }
        if let mask, mask.shape != [batch, cells] {
            throw KerasError(.shape, "layer '\(name)': mask of shape \(mask.shape) does not fit the input \(x.shape)")
        }
        var out = [Float](repeating: isMax ? -.infinity : 0, count: batch * channels)
        var weights = [Float](repeating: 0, count: batch)
        for b in 0..<batch {
            for cell in 0..<cells {
                let m: Float = mask?.scalars[b * cells + cell] ?? 1
                weights[b] += m
                for ch in 0..<channels {
                    let v = x.scalars[channelsFirst ? (b * channels + ch) * cells + cell : (b * cells + cell) * channels + ch]
                    let o = b * channels + ch
                    if isMax {
                        if v > out[o] || v.isNaN { out[o] = v }
                    } else {
                        out[o] += mask == nil ? v : v * m
                    }
                }
            }
        }
        if !isMax {
            for b in 0..<batch {
                let divisor = mask == nil ? Float(cells) : weights[b]
                for ch in 0..<channels { out[b * channels + ch] /= divisor }
            }
        }
        var shape = [batch, channels]
        if keepDims {
            shape = x.shape
            for a in spatialAxes { shape[a] = 1 }
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        guard inputs.count == 1 else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, got \(inputs.count)")
        }
        let honoursMask = !isMax && spatialRank == 1
        return ([try pooled(inputs[0], mask: honoursMask ? masks.first ?? nil : nil)], [nil])
    }
}
