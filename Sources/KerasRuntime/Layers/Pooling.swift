import KConvOps

/// Options shared by the windowed pooling layers, read and checked from a config.
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

/// Max or average pooling over `(batch, d, h, w, channels)` scalars; 1-D and 2-D pooling are the
/// same with size-1 leading axes.
///
/// Max: padded cells are skipped, so they never win; like TensorFlow's MaxPool the running maximum
/// starts at the lowest finite float and NaN never wins a comparison, so a window holding NaN
/// yields its largest other value and a window of only NaN (or -inf) yields -3.4028235e38
/// (Conformance/cases/nan_propagation). Average: the mean of the window's *real* cells, so a window
/// reaching into `same` padding divides by fewer than `pool_size` cells (TensorFlow's AvgPool).
enum PoolKernel {
    /// One spatial axis: input length, window, and the output length and leading padding.
    struct Axis {
        let length: Int, size: Int, stride: Int, count: Int, padBefore: Int

        /// The input range of output position `o`'s window, clipped to the real cells.
        func window(_ o: Int) -> Range<Int> {
            let start = o * stride - padBefore
            let lo = max(start, 0), hi = min(start + size, length)
            return lo..<max(lo, hi)
        }
    }

    /// `axes` holds exactly three axes (d, h, w); returns `(batch, d', h', w', channels)` scalars.
    static func pool(_ input: [Float], batch: Int, channels c: Int, axes: [Axis], isMax: Bool) -> [Float] {
        let (d, h, w) = (axes[0], axes[1], axes[2])
        let total = batch * d.count * h.count * w.count * c
        guard total > 0 else { return [] }
        var out = [Float](repeating: isMax ? -.greatestFiniteMagnitude : 0, count: total)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var o = 0
                for b in 0..<batch {
                    for od in 0..<d.count {
                        let zs = d.window(od)
                        for oh in 0..<h.count {
                            let ys = h.window(oh)
                            for ow in 0..<w.count {
                                let xs = w.window(ow)
                                for iz in zs {
                                    for iy in ys {
                                        for ix in xs {
                                            let i = (((b * d.length + iz) * h.length + iy) * w.length + ix) * c
                                            if isMax {
                                                for ch in 0..<c where src[i + ch] > dst[o + ch] { dst[o + ch] = src[i + ch] }
                                            } else {
                                                for ch in 0..<c { dst[o + ch] += src[i + ch] }
                                            }
                                        }
                                    }
                                }
                                if !isMax {
                                    let cells = Float(zs.count * ys.count * xs.count)
                                    for ch in 0..<c { dst[o + ch] /= cells }
                                }
                                o += c
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Keras' windowed pooling layers (channels_last): `MaxPooling1D/2D/3D` and `AveragePooling1D/2D/3D`,
/// `(batch, spatial..., channels)` → `(batch, spatial'..., channels)`.
///
/// `strides` defaults to `pool_size`; padding `valid` or `same` (the extra cells go at the end;
/// max pooling never picks them, average pooling divides by the real cells only).
struct Pooling: WeightlessLayer {
    let name: String
    let className: String
    /// 1, 2 or 3 spatial axes.
    let spatialRank: Int
    let isMax: Bool
    let options: PoolOptions

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        switch config.className {
        case "MaxPooling1D": (spatialRank, isMax) = (1, true)
        case "MaxPooling2D": (spatialRank, isMax) = (2, true)
        case "MaxPooling3D": (spatialRank, isMax) = (3, true)
        case "AveragePooling1D": (spatialRank, isMax) = (1, false)
        case "AveragePooling2D": (spatialRank, isMax) = (2, false)
        case "AveragePooling3D": (spatialRank, isMax) = (3, false)
        default: throw config.unsupported("is not a pooling layer")
        }
        options = try PoolOptions(config: config, rank: spatialRank)
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        var s = try ShapeCheck(layer: name).single([inputShape], rank: spatialRank + 2)
        for (i, axis) in options.axes.enumerated() {
            s[i + 1] = try axis.outputLength(s[i + 1], padding: options.padding, layer: name)
        }
        return s
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == spatialRank + 2 else {
            throw KerasError(.shape, "layer '\(name)' expects an input (batch, \(spatialRank) spatial axes, channels), got shape \(x.shape)")
        }
        var axes = try options.axes.enumerated().map { i, a -> PoolKernel.Axis in
            let r = try a.resolved(length: x.shape[i + 1], padding: options.padding, layer: name)
            return PoolKernel.Axis(length: x.shape[i + 1], size: a.size, stride: a.stride, count: r.count, padBefore: r.padBefore)
        }
        let unit = PoolKernel.Axis(length: 1, size: 1, stride: 1, count: 1, padBefore: 0)
        axes = Array(repeating: unit, count: 3 - spatialRank) + axes
        let batch = x.shape[0], channels = x.shape[x.rank - 1]
        return Tensor(uncheckedShape: [batch] + axes.suffix(spatialRank).map(\.count) + [channels],
                      scalars: PoolKernel.pool(x.scalars, batch: batch, channels: channels, axes: axes, isMax: isMax))
    }
}

/// Keras' global pooling layers: `GlobalMaxPooling1D/2D/3D`, `GlobalAveragePooling1D/2D/3D`.
///
/// channels_last: `(batch, spatial..., C)` → `(batch, C)`, or with `keepdims=True` `(batch, 1..., C)`;
/// channels_first: `(batch, C, spatial...)` → `(batch, C)` or `(batch, C, 1...)`. `GlobalAveragePooling1D` honours a `(batch, steps)` mask
/// (Keras 2.3+, tf.keras, Keras 3): `sum(x·m) / sum(m)` over the steps; every other global pool
/// drops the mask, and none passes one on.
struct GlobalPooling: WeightlessLayer {
    let name: String
    let className: String
    /// 1, 2 or 3 spatial axes.
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
        case "GlobalMaxPooling3D": (spatialRank, isMax) = (3, true)
        case "GlobalAveragePooling3D": (spatialRank, isMax) = (3, false)
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
