import KConvOps

/// What a pooling class name spells: `[Global]{Max,Average}Pooling{1,2,3}D`.
struct PoolKind: Sendable {
    /// 1, 2 or 3 spatial axes.
    let spatialRank: Int
    /// Max pooling, else average pooling.
    let isMax: Bool

    /// The kind of `config`'s class, with the `Global` prefix where `global`; throws for any other class.
    init(config: LayerConfig, global: Bool) throws {
        let prefix = global ? "Global" : ""
        for rank in 1...3 {
            for isMax in [true, false] where config.className == "\(prefix)\(isMax ? "Max" : "Average")Pooling\(rank)D" {
                (spatialRank, self.isMax) = (rank, isMax)
                return
            }
        }
        throw config.unsupported(global ? "is not a global pooling layer" : "is not a pooling layer")
    }
}

/// Options of the windowed pooling layers, read and checked from a config.
struct PoolOptions: Sendable {
    /// Max pooling, else average pooling (from the class name).
    let isMax: Bool
    /// Pool size and stride per spatial axis (dilation 1); as many as the class has spatial axes.
    let axes: [WindowAxis]
    let padding: WindowPadding

    init(config: LayerConfig) throws {
        let kind = try PoolKind(config: config, global: false)
        let rank = kind.spatialRank
        isMax = kind.isMax
        let sizes = try config.ints("pool_size", count: rank, default: Array(repeating: 2, count: rank))
        // A null or missing `strides` means the pool size (Keras' default).
        let strides = try config.ints("strides", count: rank, default: sizes)
        guard sizes.allSatisfy({ $0 > 0 }) else { throw config.unsupported("pool_size \(sizes) must be positive") }
        guard strides.allSatisfy({ $0 > 0 }) else { throw config.unsupported("strides \(strides) must be positive") }
        axes = (0..<rank).map { WindowAxis(size: sizes[$0], stride: strides[$0], dilation: 1) }
        padding = try WindowPadding(config: config, allowsCausal: false)
        try config.requireChannelsLast()
    }
}

/// Keras' windowed pooling layers (channels_last): `MaxPooling1D/2D/3D` and `AveragePooling1D/2D/3D`,
/// `(batch, spatial..., channels)` → `(batch, spatial'..., channels)`.
///
/// `strides` defaults to `pool_size`; padding `valid` or `same` (the extra cells go at the end;
/// max pooling never picks them, average pooling divides by the real cells only). Max pooling
/// follows TensorFlow on NaN: a window yields its largest non-NaN value, or -3.4028235e38 when it
/// holds nothing else (Conformance/cases/nan_propagation).
struct Pooling: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
    let className: String
    let options: PoolOptions

    /// 1, 2 or 3 spatial axes.
    private var spatialRank: Int { options.axes.count }

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        options = try PoolOptions(config: config)
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
        let spatial = try options.axes.enumerated().map { i, a in
            _ = try a.resolved(length: x.shape[i + 1], padding: options.padding, layer: name)
            return PoolKernel.Axis(length: x.shape[i + 1], window: a, padding: options.padding)
        }
        let batch = x.shape[0], channels = x.shape[x.rank - 1]
        return Tensor(uncheckedShape: [batch] + spatial.map(\.count) + [channels],
                      scalars: PoolKernel.pool(x.scalars, batch: batch, channels: channels, spatial: spatial, isMax: options.isMax))
    }
}

/// Keras' global pooling layers: `GlobalMaxPooling1D/2D/3D`, `GlobalAveragePooling1D/2D/3D`.
///
/// channels_last: `(batch, spatial..., C)` → `(batch, C)`, or with `keepdims=True` `(batch, 1..., C)`;
/// channels_first: `(batch, C, spatial...)` → `(batch, C)` or `(batch, C, 1...)`. `GlobalAveragePooling1D` honours a `(batch, steps)` mask
/// (Keras 2.3+, tf.keras, Keras 3): `sum(x·m) / sum(m)` over the steps; every other global pool
/// drops the mask, and none passes one on. Global max pooling lets NaN win.
struct GlobalPooling: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
    let className: String
    let isMax, keepDims: Bool
    /// The spatial rank, and where the spatial axes and channels are (`data_format`).
    let layout: SpatialLayout

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        let kind = try PoolKind(config: config, global: true)
        isMax = kind.isMax
        layout = try SpatialLayout(config: config, rank: kind.spatialRank)
        keepDims = try config.bool("keepdims", default: false)
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: layout.rank + 2)
        if keepDims {
            var out = s
            for a in layout.axes { out[a] = 1 }
            return out
        }
        return [s[0], s[layout.channelAxis]]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try pooled(x, mask: nil)
    }

    /// The pooled tensor; `mask` `(batch, steps)` weights the steps of a 1-D average.
    private func pooled(_ x: Tensor, mask: Tensor?) throws -> Tensor {
        guard x.rank == layout.rank + 2 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(layout.rank + 2), got shape \(x.shape)")
        }
        let batch = x.shape[0], channels = x.shape[layout.channelAxis]
        let cells = layout.axes.reduce(1) { $0 * x.shape[$1] }
        if let mask, mask.shape != [batch, cells] {
            throw KerasError(.shape, "layer '\(name)': mask of shape \(mask.shape) does not fit the input \(x.shape)")
        }
        let out = GlobalPoolKernel.pool(x.scalars, batch: batch, cells: cells, channels: channels,
                                        channelsFirst: layout.channelsFirst, isMax: isMax, mask: mask?.scalars)
        var shape = [batch, channels]
        if keepDims {
            shape = x.shape
            for a in layout.axes { shape[a] = 1 }
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        guard inputs.count == 1 else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, got \(inputs.count)")
        }
        let honoursMask = !isMax && layout.rank == 1
        return ([try pooled(inputs[0], mask: honoursMask ? masks.first ?? nil : nil)], [nil])
    }
}
