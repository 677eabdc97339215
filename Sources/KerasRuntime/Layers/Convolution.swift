import KConvOps

/// Options shared by `Conv1D` and `Conv2D`, read and checked from a config.
struct ConvOptions: Sendable {
    let filters: Int
    /// Kernel sizes, strides and dilations per spatial axis.
    let axes: [WindowAxis]
    let padding: WindowPadding
    let activation: Activation
    let useBias: Bool
    /// `groups` of Conv1D/Conv2D: input channels and filters split into this many independent
    /// convolutions (always 1 where `allowsGroups` is false).
    let groups: Int

    init(config: LayerConfig, rank: Int, allowsGroups: Bool = false) throws {
        filters = try config.int("filters")
        guard filters > 0 else { throw config.unsupported("filters must be positive, got \(filters)") }
        axes = try ConvOptions.windowAxes(config: config, rank: rank)
        padding = try WindowPadding(config: config, allowsCausal: rank == 1)
        try ConvOptions.requireChannelsLast(config)
        groups = try config.int("groups", default: 1)
        guard groups == 1 || (allowsGroups && groups > 1) else {
            throw config.unsupported("groups=\(groups) is not supported (only 1)")
        }
        guard filters % groups == 0 else { throw config.unsupported("filters \(filters) is not a multiple of groups \(groups)") }
        activation = try config.activation()
        useBias = try config.bool("use_bias", default: true)
    }

    /// `kernel_size`, `strides` (default 1) and `dilation_rate` (default 1) per spatial axis.
    static func windowAxes(config: LayerConfig, rank: Int) throws -> [WindowAxis] {
        let sizes = try config.ints("kernel_size", count: rank)
        let strides = try config.ints("strides", count: rank, default: Array(repeating: 1, count: rank))
        let dilations = try config.ints("dilation_rate", count: rank, default: Array(repeating: 1, count: rank))
        guard sizes.allSatisfy({ $0 > 0 }) else { throw config.unsupported("kernel_size \(sizes) must be positive") }
        guard strides.allSatisfy({ $0 > 0 }) else { throw config.unsupported("strides \(strides) must be positive") }
        guard dilations.allSatisfy({ $0 > 0 }) else { throw config.unsupported("dilation_rate \(dilations) must be positive") }
        if strides.contains(where: { $0 > 1 }) && dilations.contains(where: { $0 > 1 }) {
            throw config.unsupported("strides \(strides) > 1 together with dilation_rate \(dilations) > 1 (Keras rejects it too)")
        }
        return (0..<rank).map { WindowAxis(size: sizes[$0], stride: strides[$0], dilation: dilations[$0]) }
    }

    /// Rejects `data_format='channels_first'`.
    static func requireChannelsLast(_ config: LayerConfig) throws {
        let format = try config.string("data_format", default: "channels_last")
        guard format == "channels_last" else { throw config.unsupported("data_format '\(format)' is not supported") }
    }
}

/// Keras `Conv1D` (channels_last): input `(batch, steps, channels)` → `(batch, new_steps, filters)`.
///
/// `kernel` is `(kernel_size, channels/groups, filters)`, `bias` is `(filters)`. Padding `valid`, `same`
/// (extra zero at the end) or `causal` (`dilation*(k-1)` zeros at the start).
struct Conv1D: UnaryLayer {
    let name: String
    var className: String { "Conv1D" }
    let options: ConvOptions
    private(set) var kernel = Tensor(zeros: [0, 0, 0])
    private(set) var bias: Tensor?

    init(config: LayerConfig) throws {
        name = config.name
        options = try ConvOptions(config: config, rank: 1, allowsGroups: true)
    }

    var weights: [Weight] {
        [Weight("kernel", kernel)] + (bias.map { [Weight("bias", $0)] } ?? [])
    }

    private var axis: WindowAxis { options.axes[0] }
    private static let unitAxis = WindowAxis(size: 1, stride: 1, dilation: 1)

    mutating func build(inputShape: Shape, weights: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], rank: 3)
        let channels = try check.known(s[2], "channels")
        _ = try axis.outputLength(s[1], padding: options.padding, layer: name)
        try GroupedConvolution.check(channels: channels, groups: options.groups, layer: name)
        kernel = try weights.take("kernel", shape: [axis.size, channels / options.groups, options.filters])
        bias = options.useBias ? try weights.take("bias", shape: [options.filters]) : nil
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 3)
        if let c = s[2], kernel.shape[1] > 0, c != kernel.shape[1] * options.groups {
            throw KerasError(.shape, "layer '\(name)' expects \(kernel.shape[1] * options.groups) channels, got \(inputShape.kerasDescription)")
        }
        return [s[0], try axis.outputLength(s[1], padding: options.padding, layer: name), options.filters]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let channels = kernel.shape[1] * options.groups
        guard x.rank == 3, x.shape[2] == channels else {
            throw KerasError(.shape, "layer '\(name)' expects input (batch, steps, \(channels)), got shape \(x.shape)")
        }
        let plan = try WindowPlan(batch: x.shape[0], height: 1, width: x.shape[1], channels: channels,
                                  rows: Conv1D.unitAxis, cols: axis, padding: options.padding, layer: name)
        var y = Tensor(uncheckedShape: [plan.batch, plan.outWidth, options.filters],
                       scalars: try GroupedConvolution.convolve(x.scalars, plan: plan, padding: options.padding,
                                                                kernel: kernel.scalars, filters: options.filters,
                                                                groups: options.groups, bias: bias?.scalars, layer: name))
        options.activation.apply(&y)
        return y
    }
}

/// Keras `Conv2D` (channels_last): input `(batch, height, width, channels)` → `(batch, h', w', filters)`.
///
/// `kernel` is `(kh, kw, channels/groups, filters)`, `bias` is `(filters)`. Padding `valid` or `same`
/// (the odd zero row/column goes at the bottom/right).
struct Conv2D: UnaryLayer {
    let name: String
    var className: String { "Conv2D" }
    let options: ConvOptions
    private(set) var kernel = Tensor(zeros: [0, 0, 0, 0])
    private(set) var bias: Tensor?

    init(config: LayerConfig) throws {
        name = config.name
        options = try ConvOptions(config: config, rank: 2, allowsGroups: true)
    }

    var weights: [Weight] {
        [Weight("kernel", kernel)] + (bias.map { [Weight("bias", $0)] } ?? [])
    }

    mutating func build(inputShape: Shape, weights: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], rank: 4)
        let channels = try check.known(s[3], "channels")
        _ = try options.axes[0].outputLength(s[1], padding: options.padding, layer: name)
        _ = try options.axes[1].outputLength(s[2], padding: options.padding, layer: name)
        try GroupedConvolution.check(channels: channels, groups: options.groups, layer: name)
        kernel = try weights.take("kernel", shape: [options.axes[0].size, options.axes[1].size, channels / options.groups,
                                                    options.filters])
        bias = options.useBias ? try weights.take("bias", shape: [options.filters]) : nil
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 4)
        if let c = s[3], kernel.shape[2] > 0, c != kernel.shape[2] * options.groups {
            throw KerasError(.shape, "layer '\(name)' expects \(kernel.shape[2] * options.groups) channels, got \(inputShape.kerasDescription)")
        }
        return [s[0],
                try options.axes[0].outputLength(s[1], padding: options.padding, layer: name),
                try options.axes[1].outputLength(s[2], padding: options.padding, layer: name),
                options.filters]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let channels = kernel.shape[2] * options.groups
        guard x.rank == 4, x.shape[3] == channels else {
            throw KerasError(.shape, "layer '\(name)' expects input (batch, height, width, \(channels)), got shape \(x.shape)")
        }
        let plan = try WindowPlan(batch: x.shape[0], height: x.shape[1], width: x.shape[2], channels: channels,
                                  rows: options.axes[0], cols: options.axes[1], padding: options.padding, layer: name)
        var y = Tensor(uncheckedShape: [plan.batch, plan.outHeight, plan.outWidth, options.filters],
                       scalars: try GroupedConvolution.convolve(x.scalars, plan: plan, padding: options.padding,
                                                                kernel: kernel.scalars, filters: options.filters,
                                                                groups: options.groups, bias: bias?.scalars, layer: name))
        options.activation.apply(&y)
        return y
    }
}

/// Grouped convolution (`groups` > 1): channel group `g` of the input meets only filter group `g`.
///
/// Input NHWC with `C` channels, kernel `(kh, kw, C/groups, filters)`: output filters
/// `g·F/groups ..< (g+1)·F/groups` see input channels `g·C/groups ..< (g+1)·C/groups`.
enum GroupedConvolution {
    /// Checks that `channels` splits into `groups`.
    static func check(channels: Int, groups: Int, layer: String) throws {
        guard channels % groups == 0 else {
            throw KerasError(.shape, "layer '\(layer)': \(channels) input channels do not split into \(groups) groups")
        }
    }

    /// Returns `(batch, outH, outW, filters)` scalars, row-major.
    static func convolve(_ input: [Float], plan: WindowPlan, padding: WindowPadding, kernel: [Float], filters: Int,
                         groups: Int, bias: [Float]?, layer: String) throws -> [Float] {
        if groups == 1 {
            return ConvolutionKernel.convolve(input, plan: plan, kernel: kernel, filters: filters, bias: bias)
        }
        let c = plan.channels, cg = c / groups, fg = filters / groups
        let pixels = plan.batch * plan.height * plan.width
        let taps = plan.rows.size * plan.cols.size
        let groupPlan = try WindowPlan(batch: plan.batch, height: plan.height, width: plan.width, channels: cg,
                                       rows: plan.rows, cols: plan.cols, padding: padding, layer: layer)
        var out = [Float](repeating: 0, count: plan.outputPositions * filters)
        for g in 0..<groups {
            var slice = [Float](repeating: 0, count: pixels * cg)
            for p in 0..<pixels { for k in 0..<cg { slice[p * cg + k] = input[p * c + g * cg + k] } }
            // Kernel rows are (tap, channel-in-group); keep this group's filter columns.
            var sub = [Float](repeating: 0, count: taps * cg * fg)
            for r in 0..<taps * cg { for f in 0..<fg { sub[r * fg + f] = kernel[r * filters + g * fg + f] } }
            let part = ConvolutionKernel.convolve(slice, plan: groupPlan, kernel: sub, filters: fg,
                                                  bias: bias.map { Array($0[g * fg..<(g + 1) * fg]) })
            for p in 0..<plan.outputPositions { for f in 0..<fg { out[p * filters + g * fg + f] = part[p * fg + f] } }
        }
        return out
    }
}

/// Depthwise convolution over NHWC inputs: every input channel is convolved with its own
/// `depth_multiplier` filters; output channel `c·dm + m` is channel `c` with filter `m`.
enum DepthwiseKernel {
    /// `kernel` is `(kh, kw, C, dm)`, `bias` `(C·dm)`; returns `(batch, outH, outW, C·dm)` scalars.
    static func convolve(_ input: [Float], plan p: WindowPlan, kernel: [Float], multiplier dm: Int, bias: [Float]?) -> [Float] {
        let c = p.channels, width = c * dm
        let total = p.outputPositions * width
        guard total > 0 else { return [] }
        var out = [Float](repeating: 0, count: total)
        input.withUnsafeBufferPointer { src in
            kernel.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for b in 0..<p.batch {
                        for oy in 0..<p.outHeight {
                            for ox in 0..<p.outWidth {
                                let o = ((b * p.outHeight + oy) * p.outWidth + ox) * width
                                if let bias { for k in 0..<width { dst[o + k] = bias[k] } }
                                for ky in 0..<p.rows.size {
                                    let iy = oy * p.rows.stride - p.padTop + ky * p.rows.dilation
                                    guard iy >= 0, iy < p.height else { continue }
                                    for kx in 0..<p.cols.size {
                                        let ix = ox * p.cols.stride - p.padLeft + kx * p.cols.dilation
                                        guard ix >= 0, ix < p.width else { continue }
                                        let i = ((b * p.height + iy) * p.width + ix) * c
                                        let k = (ky * p.cols.size + kx) * width
                                        for ch in 0..<c {
                                            let v = src[i + ch]
                                            for m in 0..<dm { dst[o + ch * dm + m] += v * w[k + ch * dm + m] }
                                        }
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

/// Options of the depthwise and separable convolutions, read and checked from a config.
struct DepthwiseOptions: Sendable {
    let axes: [WindowAxis]
    let padding: WindowPadding
    let depthMultiplier: Int
    let activation: Activation
    let useBias: Bool

    init(config: LayerConfig, rank: Int, allowsCausal: Bool) throws {
        axes = try ConvOptions.windowAxes(config: config, rank: rank)
        padding = try WindowPadding(config: config, allowsCausal: allowsCausal)
        try ConvOptions.requireChannelsLast(config)
        depthMultiplier = try config.int("depth_multiplier", default: 1)
        guard depthMultiplier > 0 else { throw config.unsupported("depth_multiplier must be positive, got \(depthMultiplier)") }
        activation = try config.activation()
        useBias = try config.bool("use_bias", default: true)
    }

    /// The window plan for an NLC (rank 1, height 1) or NHWC input.
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

    /// The output tensor of `plan` with `scalars` and `channels` channels.
    func tensor(_ plan: WindowPlan, channels: Int, scalars: [Float]) -> Tensor {
        let spatial = axes.count == 1 ? [plan.outWidth] : [plan.outHeight, plan.outWidth]
        return Tensor(uncheckedShape: [plan.batch] + spatial + [channels], scalars: scalars)
    }
}

/// Keras `DepthwiseConv1D` / `DepthwiseConv2D` (channels_last): `(batch, [H,] W, C)` →
/// `(batch, [H',] W', C·depth_multiplier)`.
///
/// `depthwise_kernel` is `(k, C, dm)` / `(kh, kw, C, dm)`, `bias` is `(C·dm)`; output channel
/// `c·dm + m` is input channel `c` convolved with filter `m`. Padding `valid` or `same`.
struct DepthwiseConv: UnaryLayer {
    let name: String
    let className: String
    let options: DepthwiseOptions
    private(set) var kernel = Tensor(zeros: [0])
    private(set) var bias: Tensor?
    private(set) var channels = 0

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        options = try DepthwiseOptions(config: config, rank: config.className == "DepthwiseConv1D" ? 1 : 2, allowsCausal: false)
    }

    var weights: [Weight] {
        [Weight("depthwise_kernel", kernel)] + (bias.map { [Weight("bias", $0)] } ?? [])
    }

    private var outChannels: Int { channels * options.depthMultiplier }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], rank: options.axes.count + 2)
        channels = try check.known(s[s.count - 1], "channels")
        _ = try options.outputShape(inputShape, outChannels: outChannels, layer: name)
        kernel = try reader.take("depthwise_kernel", shape: options.axes.map(\.size) + [channels, options.depthMultiplier])
        bias = options.useBias ? try reader.take("bias", shape: [outChannels]) : nil
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        try options.outputShape(inputShape, channels: channels, outChannels: outChannels, layer: name)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let plan = try options.plan(for: x, channels: channels, layer: name)
        var y = options.tensor(plan, channels: outChannels,
                               scalars: DepthwiseKernel.convolve(x.scalars, plan: plan, kernel: kernel.scalars,
                                                                 multiplier: options.depthMultiplier, bias: bias?.scalars))
        options.activation.apply(&y)
        return y
    }
}

/// Keras `SeparableConv1D` / `SeparableConv2D` (channels_last): a depthwise convolution
/// (`depth_multiplier` filters per channel, no bias) followed by a 1×1 convolution to `filters`.
///
/// `depthwise_kernel` `(k, C, dm)` / `(kh, kw, C, dm)`, `pointwise_kernel` `(1, C·dm, filters)` /
/// `(1, 1, C·dm, filters)`, `bias` `(filters)`. Padding `valid`, `same`, or (1-D) `causal`.
struct SeparableConv: UnaryLayer {
    let name: String
    let className: String
    let filters: Int
    let options: DepthwiseOptions
    private(set) var depthwise = Tensor(zeros: [0])
    private(set) var pointwise = Tensor(zeros: [0])
    private(set) var bias: Tensor?
    private(set) var channels = 0

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        let rank = config.className == "SeparableConv1D" ? 1 : 2
        filters = try config.int("filters")
        guard filters > 0 else { throw config.unsupported("filters must be positive, got \(filters)") }
        options = try DepthwiseOptions(config: config, rank: rank, allowsCausal: rank == 1)
    }

    var weights: [Weight] {
        [Weight("depthwise_kernel", depthwise), Weight("pointwise_kernel", pointwise)] + (bias.map { [Weight("bias", $0)] } ?? [])
    }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], rank: options.axes.count + 2)
        channels = try check.known(s[s.count - 1], "channels")
        _ = try options.outputShape(inputShape, outChannels: filters, layer: name)
        let dm = options.depthMultiplier
        depthwise = try reader.take("depthwise_kernel", shape: options.axes.map(\.size) + [channels, dm])
        pointwise = try reader.take("pointwise_kernel", shape: options.axes.map { _ in 1 } + [channels * dm, filters])
        bias = options.useBias ? try reader.take("bias", shape: [filters]) : nil
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        try options.outputShape(inputShape, channels: channels, outChannels: filters, layer: name)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let plan = try options.plan(for: x, channels: channels, layer: name)
        let mid = DepthwiseKernel.convolve(x.scalars, plan: plan, kernel: depthwise.scalars,
                                           multiplier: options.depthMultiplier, bias: nil)
        let out = GEMM.multiply(mid, pointwise.scalars, m: plan.outputPositions, k: channels * options.depthMultiplier,
                                n: filters, bias: bias?.scalars)
        var y = options.tensor(plan, channels: filters, scalars: out)
        options.activation.apply(&y)
        return y
    }
}

/// The geometry of one spatial axis of a transposed convolution.
struct TransposedAxis: Sendable, Equatable {
    let size: Int
    let stride: Int
    let dilation: Int
    /// `output_padding`, or nil (Keras then derives the length from the padding alone).
    let outputPadding: Int?

    var effectiveSize: Int { (size - 1) * dilation + 1 }

    /// Keras' `deconv_output_length`.
    func outputLength(_ length: Int, padding: WindowPadding) -> Int {
        guard let outputPadding else {
            return padding == .same ? length * stride : length * stride + max(effectiveSize - stride, 0)
        }
        let pad = padding == .same ? effectiveSize / 2 : 0
        return (length - 1) * stride + effectiveSize - 2 * pad + outputPadding
    }

    /// The output cells cut from the start: the padding before of the forward convolution that
    /// maps `outputLength` cells back to `length` (TensorFlow's `Conv2DBackpropInput`).
    func padBefore(_ length: Int, padding: WindowPadding) -> Int {
        guard padding == .same else { return 0 }
        return max(0, (length - 1) * stride + effectiveSize - outputLength(length, padding: padding)) / 2
    }
}

/// Keras `Conv1DTranspose` / `Conv2DTranspose` (channels_last): `(batch, [H,] W, C)` →
/// `(batch, [H',] W', filters)`, the gradient of a convolution with respect to its input.
///
/// `kernel` is `(k, filters, C)` / `(kh, kw, filters, C)`, `bias` `(filters)`. Each input cell `i`
/// adds `x[i]·kernel[t]` to output cell `i·stride − pad + t·dilation` (no kernel flip). Output
/// length per axis: `valid` `in·s + max(k − s, 0)`, `same` `in·s`, or with `output_padding` `p`:
/// `(in − 1)·s + k − 2·pad + p` with `pad = k//2` for `same` (Keras' `deconv_output_length`).
struct ConvTranspose: UnaryLayer {
    let name: String
    let className: String
    let filters: Int
    let axes: [TransposedAxis]
    let padding: WindowPadding
    let activation: Activation
    let useBias: Bool
    private(set) var kernel = Tensor(zeros: [0])
    private(set) var bias: Tensor?
    private(set) var channels = 0
    /// The kernel as a `(C, taps·filters)` matrix, for one GEMM per sample.
    private var kernelByChannel: [Float] = []

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        let rank = config.className == "Conv1DTranspose" ? 1 : 2
        filters = try config.int("filters")
        guard filters > 0 else { throw config.unsupported("filters must be positive, got \(filters)") }
        let window = try ConvOptions.windowAxes(config: config, rank: rank)
        let outputPadding: [Int]? = config["output_padding"] == nil ? nil : try config.ints("output_padding", count: rank)
        axes = try window.enumerated().map { i, w in
            let p = outputPadding?[i]
            if let p, p < 0 || p >= w.stride {
                throw config.unsupported("output_padding \(p) must be smaller than the stride \(w.stride)")
            }
            return TransposedAxis(size: w.size, stride: w.stride, dilation: w.dilation, outputPadding: p)
        }
        padding = try WindowPadding(config: config, allowsCausal: false)
        try ConvOptions.requireChannelsLast(config)
        activation = try config.activation()
        useBias = try config.bool("use_bias", default: true)
    }

    var weights: [Weight] {
        [Weight("kernel", kernel)] + (bias.map { [Weight("bias", $0)] } ?? [])
    }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        let check = ShapeCheck(layer: name)
        let s = try check.single([inputShape], rank: axes.count + 2)
        channels = try check.known(s[s.count - 1], "channels")
        kernel = try reader.take("kernel", shape: axes.map(\.size) + [filters, channels])
        bias = useBias ? try reader.take("bias", shape: [filters]) : nil
        let taps = axes.reduce(1) { $0 * $1.size } * filters
        var byChannel = [Float](repeating: 0, count: channels * taps)
        for t in 0..<taps { for c in 0..<channels { byChannel[c * taps + t] = kernel.scalars[t * channels + c] } }
        kernelByChannel = byChannel
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: axes.count + 2)
        if let c = s[s.count - 1], channels > 0, c != channels {
            throw KerasError(.shape, "layer '\(name)' expects \(channels) channels, got \(inputShape.kerasDescription)")
        }
        let spatial = zip(axes, s[1...axes.count]).map { a, d in d.map { a.outputLength($0, padding: padding) } }
        return [s[0]] + spatial + [filters]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let rank = axes.count
        guard x.rank == rank + 2, x.shape[rank + 1] == channels else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(rank + 2) with \(channels) channels, got shape \(x.shape)")
        }
        // Treat 1-D as a height-1 image.
        let rows = rank == 2 ? axes[0] : TransposedAxis(size: 1, stride: 1, dilation: 1, outputPadding: nil)
        let cols = axes[rank - 1]
        let batch = x.shape[0], h = rank == 2 ? x.shape[1] : 1, w = x.shape[rank]
        let outH = rows.outputLength(h, padding: rank == 2 ? padding : .valid), outW = cols.outputLength(w, padding: padding)
        let padTop = rank == 2 ? rows.padBefore(h, padding: padding) : 0, padLeft = cols.padBefore(w, padding: padding)
        let taps = rows.size * cols.size * filters
        var out = [Float](repeating: 0, count: batch * outH * outW * filters)
        for b in 0..<batch {
            let sample = Array(x.scalars[b * h * w * channels..<(b + 1) * h * w * channels])
            let cols2 = GEMM.multiply(sample, kernelByChannel, m: h * w, k: channels, n: taps)
            for iy in 0..<h {
                for ix in 0..<w {
                    let src = (iy * w + ix) * taps
                    for ky in 0..<rows.size {
                        let oy = iy * rows.stride - padTop + ky * rows.dilation
                        guard oy >= 0, oy < outH else { continue }
                        for kx in 0..<cols.size {
                            let ox = ix * cols.stride - padLeft + kx * cols.dilation
                            guard ox >= 0, ox < outW else { continue }
                            let dst = ((b * outH + oy) * outW + ox) * filters
                            let k = src + (ky * cols.size + kx) * filters
                            for f in 0..<filters { out[dst + f] += cols2[k + f] }
                        }
                    }
                }
            }
        }
        if let bias {
            for i in out.indices { out[i] += bias.scalars[i % filters] }
        }
        let spatial = rank == 2 ? [outH, outW] : [outW]
        var y = Tensor(uncheckedShape: [batch] + spatial + [filters], scalars: out)
        activation.apply(&y)
        return y
    }
}
