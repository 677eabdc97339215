import KConvOps

/// The spatial window of a Keras convolution, read and checked from a config: `kernel_size`,
/// `strides` (default 1) and `dilation_rate` (default 1) per spatial axis, `padding`, and
/// `data_format` (channels_last only). 1-D windows run as 2-D ones over a height-1 image.
struct ConvWindow: Sendable {
    /// Kernel sizes, strides and dilations per spatial axis (1 or 2 of them).
    let axes: [WindowAxis]
    let padding: WindowPadding

    init(config: LayerConfig, rank: Int, allowsCausal: Bool) throws {
        let sizes = try config.ints("kernel_size", count: rank)
        let strides = try config.ints("strides", count: rank, default: Array(repeating: 1, count: rank))
        let dilations = try config.ints("dilation_rate", count: rank, default: Array(repeating: 1, count: rank))
        guard sizes.allSatisfy({ $0 > 0 }) else { throw config.unsupported("kernel_size \(sizes) must be positive") }
        guard strides.allSatisfy({ $0 > 0 }) else { throw config.unsupported("strides \(strides) must be positive") }
        guard dilations.allSatisfy({ $0 > 0 }) else { throw config.unsupported("dilation_rate \(dilations) must be positive") }
        if strides.contains(where: { $0 > 1 }) && dilations.contains(where: { $0 > 1 }) {
            throw config.unsupported("strides \(strides) > 1 together with dilation_rate \(dilations) > 1 (Keras rejects it too)")
        }
        axes = (0..<rank).map { WindowAxis(size: sizes[$0], stride: strides[$0], dilation: dilations[$0]) }
        padding = try WindowPadding(config: config, allowsCausal: allowsCausal)
        try config.requireChannelsLast()
    }

    /// The output shape with `outChannels` channels, for an input of `channels` channels (0: not
    /// built yet, any).
    func outputShape(_ inputShape: Shape, channels: Int = 0, outChannels: Int, layer: String) throws -> Shape {
        if let c = inputShape.last ?? nil, channels > 0, c != channels {
            throw KerasError(.shape, "layer '\(layer)' expects \(channels) channels, got \(inputShape.kerasDescription)")
        }
        let s = try ShapeCheck(layer: layer).single([inputShape], rank: axes.count + 2)
        let spatial = try (0..<axes.count).map { try axes[$0].outputLength(s[$0 + 1], padding: padding, layer: layer) }
        return [s[0]] + spatial + [outChannels]
    }

    /// Checks an input shape against the window (its rank, a known channel count, every axis long
    /// enough) and returns its channels.
    func channels(of inputShape: Shape, layer: String) throws -> Int {
        let check = ShapeCheck(layer: layer)
        let s = try check.single([inputShape], rank: axes.count + 2)
        let channels = try check.known(s[s.count - 1], "channels")
        _ = try outputShape(inputShape, outChannels: channels, layer: layer)
        return channels
    }

    /// The window plan for an NLC (rank 1, height 1) or NHWC input of `channels` channels.
    func plan(for x: Tensor, channels: Int, layer: String) throws -> WindowPlan {
        let rank = axes.count
        guard x.rank == rank + 2, x.shape[rank + 1] == channels else {
            throw KerasError(.shape, "layer '\(layer)' expects an input of rank \(rank + 2) with \(channels) channels, got shape \(x.shape)")
        }
        if rank == 1 {
            return try WindowPlan(batch: x.shape[0], height: 1, width: x.shape[1], channels: channels,
                                  rows: WindowAxis(size: 1, stride: 1, dilation: 1), cols: axes[0], padding: padding, layer: layer)
        }
        return try WindowPlan(batch: x.shape[0], height: x.shape[1], width: x.shape[2], channels: channels,
                              rows: axes[0], cols: axes[1], padding: padding, layer: layer)
    }

    /// The output tensor of `plan` with `scalars` and `channels` channels.
    func tensor(_ plan: WindowPlan, channels: Int, scalars: [Float]) -> Tensor {
        let spatial = axes.count == 1 ? [plan.outWidth] : [plan.outHeight, plan.outWidth]
        return Tensor(uncheckedShape: [plan.batch] + spatial + [channels], scalars: scalars)
    }
}

/// Options of `Conv1D`/`Conv2D` (and the convolutions of `ConvLSTM1D/2D`), read and checked from a config.
struct ConvOptions: Sendable {
    /// `filters`, and `groups` of Conv1D/Conv2D: input channels and filters split into this many
    /// independent convolutions (always 1 where `allowsGroups` is false).
    let filters, groups: Int
    let window: ConvWindow
    let activation: Activation
    let useBias: Bool

    /// Kernel sizes, strides and dilations per spatial axis.
    var axes: [WindowAxis] { window.axes }
    /// `valid`, `same`, or (rank 1) `causal`.
    var padding: WindowPadding { window.padding }

    init(config: LayerConfig, rank: Int, allowsGroups: Bool = false) throws {
        filters = try ConvOptions.filters(config)
        window = try ConvWindow(config: config, rank: rank, allowsCausal: rank == 1)
        groups = try config.int("groups", default: 1)
        guard groups == 1 || (allowsGroups && groups > 1) else {
            throw config.unsupported("groups=\(groups) is not supported (only 1)")
        }
        guard filters % groups == 0 else { throw config.unsupported("filters \(filters) is not a multiple of groups \(groups)") }
        activation = try config.activation()
        useBias = try config.bool("use_bias", default: true)
    }

    /// Reads `filters`, which must be positive.
    static func filters(_ config: LayerConfig) throws -> Int {
        let filters = try config.int("filters")
        guard filters > 0 else { throw config.unsupported("filters must be positive, got \(filters)") }
        return filters
    }
}

/// Options of the depthwise and separable convolutions, read and checked from a config.
struct DepthwiseOptions: Sendable {
    let window: ConvWindow
    /// Filters per input channel (`depth_multiplier`).
    let depthMultiplier: Int
    let activation: Activation
    let useBias: Bool

    init(config: LayerConfig, rank: Int, allowsCausal: Bool) throws {
        window = try ConvWindow(config: config, rank: rank, allowsCausal: allowsCausal)
        depthMultiplier = try config.int("depth_multiplier", default: 1)
        guard depthMultiplier > 0 else { throw config.unsupported("depth_multiplier must be positive, got \(depthMultiplier)") }
        activation = try config.activation()
        useBias = try config.bool("use_bias", default: true)
    }
}
