/// Keras padding modes of convolutions and pooling.
enum WindowPadding: String, Sendable {
    /// No padding; windows must fit inside the input.
    case valid
    /// TensorFlow SAME: `ceil(in/stride)` outputs, the odd padding cell at the end.
    case same
    /// Conv1D only: `dilation*(k-1)` zeros before the start, none after.
    case causal

    /// Reads `padding` (lower-cased, as Keras does); `causal` only where `allowsCausal`.
    init(config: LayerConfig, allowsCausal: Bool) throws {
        let text = try config.string("padding", default: "valid").lowercased()
        guard let p = WindowPadding(rawValue: text), p != .causal || allowsCausal else {
            throw config.unsupported("padding '\(text)' is not supported")
        }
        self = p
    }
}

/// The window arithmetic of one spatial axis (TensorFlow's `GetWindowedOutputSize`).
struct WindowAxis: Sendable, Equatable {
    /// Kernel or pool size along the axis.
    let size: Int
    let stride: Int
    let dilation: Int

    /// The span a dilated window covers: `(size-1)*dilation + 1`.
    var effectiveSize: Int { (size - 1) * dilation + 1 }

    /// The number of outputs (≤ 0 when the input is too short for `valid`) and the zeros padded
    /// before the first input element, for an input of `length` elements.
    func layout(length: Int, padding: WindowPadding) -> (count: Int, padBefore: Int) {
        switch padding {
        case .valid:
            let span = length - effectiveSize
            // floor((length - k_eff) / stride) + 1, with floor for negative spans.
            let count = span >= 0 ? span / stride + 1 : -((-span + stride - 1) / stride) + 1
            return (count, 0)
        case .same:
            let count = (length + stride - 1) / stride
            let padTotal = max(0, (count - 1) * stride + effectiveSize - length)
            return (count, padTotal / 2)
        case .causal:
            return ((length + stride - 1) / stride, dilation * (size - 1))
        }
    }

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

/// The resolved geometry of a 2-D window over an NHWC input (1-D layers use height 1).
struct WindowPlan: Sendable {
    let batch: Int, height: Int, width: Int, channels: Int
    let rows: WindowAxis, cols: WindowAxis
    let outHeight: Int, outWidth: Int
    let padTop: Int, padLeft: Int

    init(batch: Int, height: Int, width: Int, channels: Int,
         rows: WindowAxis, cols: WindowAxis, padding: WindowPadding, layer: String) throws {
        self.batch = batch
        self.height = height
        self.width = width
        self.channels = channels
        self.rows = rows
        self.cols = cols
        let r = try rows.resolved(length: height, padding: padding, layer: layer)
        let c = try cols.resolved(length: width, padding: padding, layer: layer)
        (outHeight, padTop) = r
        (outWidth, padLeft) = c
    }

    /// The number of output positions, batch included.
    var outputPositions: Int { batch * outHeight * outWidth }
}

/// Options shared by `Conv1D` and `Conv2D`, read and checked from a config.
struct ConvOptions: Sendable {
    let filters: Int
    /// Kernel sizes, strides and dilations per spatial axis.
    let axes: [WindowAxis]
    let padding: WindowPadding
    let activation: Activation
    let useBias: Bool

    init(config: LayerConfig, rank: Int) throws {
        filters = try config.int("filters")
        guard filters > 0 else { throw config.unsupported("filters must be positive, got \(filters)") }
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
        padding = try WindowPadding(config: config, allowsCausal: rank == 1)
        let format = try config.string("data_format", default: "channels_last")
        guard format == "channels_last" else { throw config.unsupported("data_format '\(format)' is not supported") }
        let groups = try config.int("groups", default: 1)
        guard groups == 1 else { throw config.unsupported("groups=\(groups) is not supported (only 1)") }
        activation = try config.activation()
        useBias = try config.bool("use_bias", default: true)
    }
}

/// The im2col + GEMM convolution over NHWC inputs, shared by `Conv1D` and `Conv2D`.
enum ConvolutionKernel {
    /// Upper bound on the im2col patch buffer, in floats (4 MB).
    static let patchBufferLimit = 1 << 20

    /// Cross-correlates `input` (NHWC as laid out in `plan`) with `kernel` `(kh, kw, in, filters)`,
    /// adds `bias` `(filters)`; returns `(batch, outH, outW, filters)` scalars, row-major.
    static func convolve(_ input: [Float], plan: WindowPlan, kernel: [Float], filters: Int, bias: [Float]?) -> [Float] {
        let positions = plan.outputPositions
        let patchLength = plan.rows.size * plan.cols.size * plan.channels
        let total = positions * filters
        guard total > 0 else { return [] }
        guard patchLength > 0 else {
            // No input channels: every output is the bias.
            guard let bias else { return [Float](repeating: 0, count: total) }
            return (0..<total).map { bias[$0 % filters] }
        }
        return [Float](unsafeUninitializedCapacity: total) { out, initialized in
            input.withUnsafeBufferPointer { src in
                kernel.withUnsafeBufferPointer { w in
                    withOptionalPointer(bias) { b in
                        guard let o = out.baseAddress, let src = src.baseAddress, let w = w.baseAddress else {
                            out.initialize(repeating: 0)
                            return
                        }
                        run(src, plan: plan, kernel: w, filters: filters, bias: b, output: o)
                    }
                }
            }
            initialized = total
        }
    }

    private static func withOptionalPointer<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let a else { return body(nil) }
        return a.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// `convolve` on raw buffers: `output` gets `(positions, filters)`, overwritten.
    static func run(_ input: UnsafePointer<Float>, plan p: WindowPlan, kernel: UnsafePointer<Float>,
                            filters: Int, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let kh = p.rows.size, kw = p.cols.size, c = p.channels
        let patchLength = kh * kw * c
        let positions = p.outputPositions
        // 1×1 kernels with stride 1 need no patches: the input rows already are the patch rows.
        if kh == 1, kw == 1, p.rows.stride == 1, p.cols.stride == 1, p.padTop == 0, p.padLeft == 0 {
            GEMM.multiply(input, kernel, output, m: positions, k: c, n: filters, bias: bias)
            return
        }
        let chunkRows = max(1, min(positions, patchBufferLimit / patchLength))
        let patch = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * patchLength)
        defer { patch.deallocate() }
        let rowSpan = kw * c
        let sy = p.rows.stride, sx = p.cols.stride, dy = p.rows.dilation, dx = p.cols.dilation
        var start = 0
        while start < positions {
            let m = min(chunkRows, positions - start)
            for r in 0..<m {
                let position = start + r
                let ox = position % p.outWidth
                let rest = position / p.outWidth
                let oy = rest % p.outHeight
                let b = rest / p.outHeight
                let dst = patch + r * patchLength
                let ix0 = ox * sx - p.padLeft
                for ky in 0..<kh {
                    let rowDst = dst + ky * rowSpan
                    let iy = oy * sy - p.padTop + ky * dy
                    guard iy >= 0, iy < p.height else {
                        rowDst.update(repeating: 0, count: rowSpan)
                        continue
                    }
                    let line = input + (b * p.height + iy) * p.width * c
                    if dx == 1, ix0 >= 0, ix0 + kw <= p.width {
                        rowDst.update(from: line + ix0 * c, count: rowSpan)
                        continue
                    }
                    for kx in 0..<kw {
                        let ix = ix0 + kx * dx
                        if ix >= 0, ix < p.width {
                            (rowDst + kx * c).update(from: line + ix * c, count: c)
                        } else {
                            (rowDst + kx * c).update(repeating: 0, count: c)
                        }
                    }
                }
            }
            GEMM.multiply(patch, kernel, output + start * filters, m: m, k: patchLength, n: filters, bias: bias)
            start += m
        }
    }
}

/// Keras `Conv1D` (channels_last): input `(batch, steps, channels)` → `(batch, new_steps, filters)`.
///
/// `kernel` is `(kernel_size, channels, filters)`, `bias` is `(filters)`. Padding `valid`, `same`
/// (extra zero at the end) or `causal` (`dilation*(k-1)` zeros at the start).
struct Conv1D: UnaryLayer {
    let name: String
    var className: String { "Conv1D" }
    let options: ConvOptions
    private(set) var kernel = Tensor(zeros: [0, 0, 0])
    private(set) var bias: Tensor?

    init(config: LayerConfig) throws {
        name = config.name
        options = try ConvOptions(config: config, rank: 1)
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
        kernel = try weights.take("kernel", shape: [axis.size, channels, options.filters])
        bias = options.useBias ? try weights.take("bias", shape: [options.filters]) : nil
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 3)
        if let c = s[2], kernel.shape[1] > 0, c != kernel.shape[1] {
            throw KerasError(.shape, "layer '\(name)' expects \(kernel.shape[1]) channels, got \(inputShape.kerasDescription)")
        }
        return [s[0], try axis.outputLength(s[1], padding: options.padding, layer: name), options.filters]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let channels = kernel.shape[1]
        guard x.rank == 3, x.shape[2] == channels else {
            throw KerasError(.shape, "layer '\(name)' expects input (batch, steps, \(channels)), got shape \(x.shape)")
        }
        let plan = try WindowPlan(batch: x.shape[0], height: 1, width: x.shape[1], channels: channels,
                                  rows: Conv1D.unitAxis, cols: axis, padding: options.padding, layer: name)
        var y = Tensor(uncheckedShape: [plan.batch, plan.outWidth, options.filters],
                       scalars: ConvolutionKernel.convolve(x.scalars, plan: plan, kernel: kernel.scalars,
                                                           filters: options.filters, bias: bias?.scalars))
        options.activation.apply(&y)
        return y
    }
}

/// Keras `Conv2D` (channels_last): input `(batch, height, width, channels)` → `(batch, h', w', filters)`.
///
/// `kernel` is `(kh, kw, channels, filters)`, `bias` is `(filters)`. Padding `valid` or `same`
/// (the odd zero row/column goes at the bottom/right).
struct Conv2D: UnaryLayer {
    let name: String
    var className: String { "Conv2D" }
    let options: ConvOptions
    private(set) var kernel = Tensor(zeros: [0, 0, 0, 0])
    private(set) var bias: Tensor?

    init(config: LayerConfig) throws {
        name = config.name
        options = try ConvOptions(config: config, rank: 2)
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
        kernel = try weights.take("kernel", shape: [options.axes[0].size, options.axes[1].size, channels, options.filters])
        bias = options.useBias ? try weights.take("bias", shape: [options.filters]) : nil
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 4)
        if let c = s[3], kernel.shape[2] > 0, c != kernel.shape[2] {
            throw KerasError(.shape, "layer '\(name)' expects \(kernel.shape[2]) channels, got \(inputShape.kerasDescription)")
        }
        return [s[0],
                try options.axes[0].outputLength(s[1], padding: options.padding, layer: name),
                try options.axes[1].outputLength(s[2], padding: options.padding, layer: name),
                options.filters]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let channels = kernel.shape[2]
        guard x.rank == 4, x.shape[3] == channels else {
            throw KerasError(.shape, "layer '\(name)' expects input (batch, height, width, \(channels)), got shape \(x.shape)")
        }
        let plan = try WindowPlan(batch: x.shape[0], height: x.shape[1], width: x.shape[2], channels: channels,
                                  rows: options.axes[0], cols: options.axes[1], padding: options.padding, layer: name)
        var y = Tensor(uncheckedShape: [plan.batch, plan.outHeight, plan.outWidth, options.filters],
                       scalars: ConvolutionKernel.convolve(x.scalars, plan: plan, kernel: kernel.scalars,
                                                           filters: options.filters, bias: bias?.scalars))
        options.activation.apply(&y)
        return y
    }
}
