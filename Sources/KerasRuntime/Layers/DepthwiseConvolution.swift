import KConvOps

/// Keras `DepthwiseConv1D/2D` and `SeparableConv1D/2D` (channels_last): `(batch, [H,] W, C)` →
/// `(batch, [H',] W', C·depth_multiplier)`, or for the separable ones `(batch, [H',] W', filters)`.
///
/// Depthwise: `depthwise_kernel` is `(k, C, dm)` / `(kh, kw, C, dm)`, `bias` is `(C·dm)`; output
/// channel `c·dm + m` is input channel `c` convolved with filter `m`. Padding `valid` or `same`.
///
/// Separable: that depthwise convolution without bias, followed by a 1×1 convolution to `filters`:
/// `pointwise_kernel` `(1, C·dm, filters)` / `(1, 1, C·dm, filters)`, `bias` `(filters)`. Padding
/// `valid`, `same`, or (1-D) `causal`.
struct DepthwiseConv: UnaryLayer {
    let name: String
    var isSampleWise: Bool { true }
    let className: String
    let options: DepthwiseOptions
    /// The `filters` of the pointwise convolution of `SeparableConv1D/2D`; nil for `DepthwiseConv1D/2D`.
    let pointwiseFilters: Int?
    private(set) var depthwise = Tensor(zeros: [0])
    private(set) var pointwise: Tensor?
    private(set) var bias: Tensor?
    private(set) var channels = 0

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        let rank = className.hasSuffix("1D") ? 1 : 2
        let separable = className.hasPrefix("Separable")
        pointwiseFilters = separable ? try ConvOptions.filters(config) : nil
        options = try DepthwiseOptions(config: config, rank: rank, allowsCausal: separable && rank == 1)
    }

    var weights: [Weight] {
        [Weight("depthwise_kernel", depthwise)] + (pointwise.map { [Weight("pointwise_kernel", $0)] } ?? [])
            + (bias.map { [Weight("bias", $0)] } ?? [])
    }

    /// The channels after the depthwise convolution.
    private var depthwiseChannels: Int { channels * options.depthMultiplier }
    private var outChannels: Int { pointwiseFilters ?? depthwiseChannels }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        channels = try options.window.channels(of: inputShape, layer: name)
        let axes = options.window.axes
        depthwise = try reader.take("depthwise_kernel", shape: axes.map(\.size) + [channels, options.depthMultiplier])
        if let filters = pointwiseFilters {
            pointwise = try reader.take("pointwise_kernel", shape: axes.map { _ in 1 } + [depthwiseChannels, filters])
        }
        bias = options.useBias ? try reader.take("bias", shape: [outChannels]) : nil
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        try options.window.outputShape(inputShape, channels: channels, outChannels: outChannels, layer: name)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let plan = try options.window.plan(for: x, channels: channels, layer: name)
        var out = DepthwiseKernel.convolve(x.scalars, plan: plan, kernel: depthwise.scalars,
                                           multiplier: options.depthMultiplier, bias: pointwise == nil ? bias?.scalars : nil)
        if let pointwise {
            out = GEMM.multiply(out, pointwise.scalars, m: plan.outputPositions, k: depthwiseChannels, n: outChannels,
                                bias: bias?.scalars)
        }
        var y = options.window.tensor(plan, channels: outChannels, scalars: out)
        options.activation.apply(&y)
        return y
    }
}
