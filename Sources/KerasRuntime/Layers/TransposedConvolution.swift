import KConvOps

/// Keras `Conv1DTranspose` / `Conv2DTranspose` (channels_last): `(batch, [H,] W, C)` →
/// `(batch, [H',] W', filters)`, the gradient of a convolution with respect to its input.
///
/// `kernel` is `(k, filters, C)` / `(kh, kw, filters, C)`, `bias` `(filters)`. Each input cell `i`
/// adds `x[i]·kernel[t]` to output cell `i·stride − pad + t·dilation` (no kernel flip). Output
/// length per axis: `valid` `in·s + max(k − s, 0)`, `same` `in·s`, or with `output_padding` `p`:
/// `(in − 1)·s + k − 2·pad + p` with `pad = k//2` for `same` (Keras' `deconv_output_length`).
struct ConvTranspose: UnaryLayer {
    let name: String
    var isSampleWise: Bool { true }
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
        filters = try ConvOptions.filters(config)
        let window = try ConvWindow(config: config, rank: rank, allowsCausal: false)
        let outputPadding: [Int]? = config["output_padding"] == nil ? nil : try config.ints("output_padding", count: rank)
        axes = try window.axes.enumerated().map { i, w in
            let p = outputPadding?[i]
            if let p, p < 0 || p >= w.stride {
                throw config.unsupported("output_padding \(p) must be smaller than the stride \(w.stride)")
            }
            return TransposedAxis(size: w.size, stride: w.stride, dilation: w.dilation, outputPadding: p)
        }
        padding = window.padding
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
        kernelByChannel = TransposedConvolution.kernelByChannel(kernel.scalars, channels: channels)
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
        // 1-D runs as a height-1 image.
        let unit = TransposedAxis(size: 1, stride: 1, dilation: 1, outputPadding: nil)
        let plan = TransposedPlan(batch: x.shape[0], height: rank == 2 ? x.shape[1] : 1, width: x.shape[rank],
                                  channels: channels, rows: rank == 2 ? axes[0] : unit, cols: axes[rank - 1], padding: padding)
        let out = TransposedConvolution.convolve(x.scalars, plan: plan, kernelByChannel: kernelByChannel, filters: filters,
                                                 bias: bias?.scalars)
        let spatial = rank == 2 ? [plan.outHeight, plan.outWidth] : [plan.outWidth]
        var y = Tensor(uncheckedShape: [plan.batch] + spatial + [filters], scalars: out)
        activation.apply(&y)
        return y
    }
}
