import KConvOps

/// Keras `Conv1D` and `Conv2D` (channels_last): `(batch, steps, channels)` → `(batch, new_steps, filters)`,
/// `(batch, height, width, channels)` → `(batch, h', w', filters)`.
///
/// `kernel` is `(kernel_size, channels/groups, filters)` / `(kh, kw, channels/groups, filters)`, `bias`
/// is `(filters)`. Padding `valid`, `same` (the odd zero cell goes at the end: bottom/right), or for
/// Conv1D `causal` (`dilation*(k-1)` zeros at the start). With `groups` > 1, input channels and filters
/// split into that many independent convolutions. Conv1D runs as Conv2D over a height-1 image.
struct Convolution: UnaryLayer {
    let name: String
    var isSampleWise: Bool { true }
    /// `Conv1D` or `Conv2D`, as summaries print it.
    let className: String
    let options: ConvOptions
    private(set) var kernel = Tensor(zeros: [0])
    private(set) var bias: Tensor?
    /// Without groups: `kernel` packed once as a `(taps·channels, filters)` matrix, or transformed once
    /// for the Winograd convolution where that applies (3×3, unit strides; `WinogradConvolution`).
    private var packedKernel: PackedMatrix?
    private var winograd: WinogradConvolution?
    /// Input channels, known once built (0 before).
    private(set) var channels = 0

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        options = try ConvOptions(config: config, rank: config.className == "Conv1D" ? 1 : 2, allowsGroups: true)
    }

    var weights: [Weight] {
        [Weight("kernel", kernel)] + (bias.map { [Weight("bias", $0)] } ?? [])
    }

    mutating func build(inputShape: Shape, weights: inout WeightReader) throws {
        channels = try options.window.channels(of: inputShape, layer: name)
        guard channels % options.groups == 0 else {
            throw KerasError(.shape, "layer '\(name)': \(channels) input channels do not split into \(options.groups) groups")
        }
        kernel = try weights.take("kernel", shape: options.axes.map(\.size) + [channels / options.groups, options.filters])
        bias = options.useBias ? try weights.take("bias", shape: [options.filters]) : nil
        let axes = options.window.axes
        if options.groups == 1, axes.count == 2,
           WinogradConvolution.applies(rows: axes[0], cols: axes[1], channels: channels, filters: options.filters) {
            winograd = WinogradConvolution(kernel: kernel.scalars, channels: channels, filters: options.filters)
        } else if options.groups == 1 {
            packedKernel = PackedMatrix(kernel.scalars, rows: kernel.count / max(options.filters, 1), columns: options.filters)
        }
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        try options.window.outputShape(inputShape, channels: channels, outChannels: options.filters, layer: name)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let plan = try options.window.plan(for: x, channels: channels, layer: name)
        if let winograd {
            let out = winograd.convolve(x.scalars, plan: plan, bias: bias?.scalars, activation: options.activation)
            return options.window.tensor(plan, channels: options.filters, scalars: out)
        }
        guard let packedKernel else {
            let out = GroupedConvolution.convolve(x.scalars, plan: plan, kernel: kernel.scalars, filters: options.filters,
                                                  groups: options.groups, bias: bias?.scalars)
            var y = options.window.tensor(plan, channels: options.filters, scalars: out)
            options.activation.apply(&y)
            return y
        }
        // The activation runs on each part of the output as soon as it is computed, while in cache.
        let out = ConvolutionKernel.convolve(x.scalars, plan: plan, kernel: packedKernel, bias: bias?.scalars,
                                             activation: options.activation)
        return options.window.tensor(plan, channels: options.filters, scalars: out)
    }
}
