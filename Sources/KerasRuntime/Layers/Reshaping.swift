/// Keras `Flatten`: `(batch, d1, d2, ...)` → `(batch, d1·d2·...)`, in channels-last order.
struct Flatten: WeightlessLayer {
    let name: String
    var className: String { "Flatten" }

    init(config: LayerConfig) throws {
        name = config.name
        if let format = config["data_format"]?.stringValue, format != "channels_last" {
            throw config.unsupported("data_format '\(format)' is not supported")
        }
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        guard inputShape.count >= 2 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank ≥ 2, got \(inputShape.kerasDescription)")
        }
        return [inputShape[0], inputShape.knownSampleCount]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1 else { throw KerasError(.shape, "layer '\(name)' cannot flatten a scalar") }
        let batch = x.shape[0]
        return Tensor(uncheckedShape: [batch, batch == 0 ? 0 : x.count / batch], scalars: x.scalars)
    }
}

/// Keras `Reshape`: a new sample shape with the same element count; one entry may be -1.
struct Reshape: WeightlessLayer {
    let name: String
    var className: String { "Reshape" }
    let targetShape: [Int]

    init(config: LayerConfig) throws {
        name = config.name
        guard let shape = try config.shape("target_shape"), shape.allSatisfy({ $0 != nil && ($0! > 0 || $0! == -1) }) else {
            throw KerasError(.format, "layer '\(name)' (Reshape) has no valid target_shape")
        }
        targetShape = shape.map { $0! }
        guard targetShape.filter({ $0 == -1 }).count <= 1 else {
            throw config.unsupported("target_shape \(targetShape) has more than one -1")
        }
    }

    /// The sample shape for `count` elements, resolving -1.
    private func resolved(count: Int?) throws -> [Int?] {
        let known = Tensor.elementCount(targetShape.filter { $0 != -1 })
        guard let known, known <= SizeLimit.sampleElements else {
            throw KerasError(.unsupported, "layer '\(name)': target_shape \(targetShape) has more than 2^28 elements, which kconv refuses as absurd")
        }
        guard let free = targetShape.firstIndex(of: -1) else {
            if let count, count != known {
                throw KerasError(.shape, "layer '\(name)' cannot reshape \(count) elements to \(targetShape)")
            }
            return targetShape
        }
        guard let count else { return targetShape.map { $0 == -1 ? nil : $0 } }
        guard known > 0, count % known == 0 else {
            throw KerasError(.shape, "layer '\(name)' cannot reshape \(count) elements to \(targetShape)")
        }
        var s = targetShape.map { Optional($0) }
        s[free] = count / known
        return s
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        [inputShape.first ?? nil] + (try resolved(count: inputShape.knownSampleCount))
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let batch = x.shape.first ?? 0
        let sample = try resolved(count: batch == 0 ? 0 : x.count / batch).map { $0 ?? 0 }
        return try x.reshaped([batch] + sample)
    }
}

/// Keras `RepeatVector`: `(batch, features)` → `(batch, n, features)`.
struct RepeatVector: WeightlessLayer {
    let name: String
    var className: String { "RepeatVector" }
    let n: Int

    init(config: LayerConfig) throws {
        name = config.name
        n = try config.int("n")
        guard n >= 0, n <= 1 << 24 else { throw config.unsupported("n = \(n) is out of range") }
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: 2)
        return [s[0], n, s[1]]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2 else { throw KerasError(.shape, "layer '\(name)' expects a rank-2 input, got shape \(x.shape)") }
        let (batch, features) = (x.shape[0], x.shape[1])
        var out = [Float]()
        out.reserveCapacity(batch * n * features)
        for b in 0..<batch {
            let row = x.scalars[b * features..<(b + 1) * features]
            for _ in 0..<n { out.append(contentsOf: row) }
        }
        return Tensor(uncheckedShape: [batch, n, features], scalars: out)
    }
}

/// Reads a `data_format` option: true for `channels_first`.
private func isChannelsFirst(_ config: LayerConfig) throws -> Bool {
    let format = try config.string("data_format", default: "channels_last")
    guard format == "channels_last" || format == "channels_first" else {
        throw config.unsupported("data_format '\(format)' is not supported")
    }
    return format == "channels_first"
}

/// Reads a per-axis `(before, after)` option: an integer (same everywhere), one integer per axis
/// (symmetric), or one pair per axis. For one axis, a pair is `(before, after)`.
private func pairs(_ config: LayerConfig, _ key: String, axes: Int, default fallback: (Int, Int)) throws -> [(Int, Int)] {
    let bad = config.unsupported("\(key) \(config[key]?.serialized ?? "") is not a valid \(key)")
    guard let v = config[key] else { return Array(repeating: fallback, count: axes) }
    if let i = v.intValue { return Array(repeating: (i, i), count: axes) }
    guard let list = v.arrayValue else { throw bad }
    let result: [(Int, Int)]
    if axes == 1 {
        guard list.count == 2, let a = list[0].intValue, let b = list[1].intValue else { throw bad }
        result = [(a, b)]
    } else {
        guard list.count == axes else { throw bad }
        result = try list.map { item in
            if let i = item.intValue { return (i, i) }
            guard let p = item.arrayValue, p.count == 2, let a = p[0].intValue, let b = p[1].intValue else { throw bad }
            return (a, b)
        }
    }
    guard result.allSatisfy({ $0.0 >= 0 && $0.1 >= 0 }) else { throw bad }
    return result
}

/// Row-major tensor edits along one axis, shared by the padding, cropping and upsampling layers.
enum AxisEdit {
    /// Splits `shape` at `axis` into (elements before it, its length, elements after it).
    private static func split(_ shape: [Int], _ axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Adds `before`/`after` zeros along `axis` (negative amounts crop instead).
    static func pad(_ x: Tensor, axis: Int, before: Int, after: Int) -> Tensor {
        let (outer, length, inner) = split(x.shape, axis)
        let newLength = max(0, length + before + after)
        var out = [Float](repeating: 0, count: outer * newLength * inner)
        for o in 0..<outer {
            for t in 0..<newLength {
                let source = t - before
                guard source >= 0, source < length else { continue }
                let dst = (o * newLength + t) * inner, src = (o * length + source) * inner
                for i in 0..<inner { out[dst + i] = x.scalars[src + i] }
            }
        }
        var shape = x.shape
        shape[axis] = newLength
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    /// Repeats every slice along `axis` `times` times in place (`[a, b]` → `[a, a, b, b]`).
    static func repeatElements(_ x: Tensor, axis: Int, times: Int) -> Tensor {
        let (outer, length, inner) = split(x.shape, axis)
        var out = [Float]()
        out.reserveCapacity(x.count * times)
        for o in 0..<outer {
            for t in 0..<length {
                let slice = x.scalars[(o * length + t) * inner..<(o * length + t + 1) * inner]
                for _ in 0..<times { out.append(contentsOf: slice) }
            }
        }
        var shape = x.shape
        shape[axis] = length * times
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    /// TensorFlow's half-pixel bilinear resize of axis `axis` to `length * factor` (`tf.image.resize`,
    /// `antialias=False`): source `(o + 0.5)·scale − 0.5`, neighbours clamped to the edges.
    static func bilinear(_ x: Tensor, axis: Int, factor: Int) -> Tensor {
        let (outer, length, inner) = split(x.shape, axis)
        let newLength = length * factor
        let scale = Float(length) / Float(newLength)
        var out = [Float](repeating: 0, count: outer * newLength * inner)
        for t in 0..<newLength {
            let source = (Float(t) + 0.5) * scale - 0.5
            let lowF = source.rounded(.down)
            let low = max(Int(lowF), 0), high = min(Int(source.rounded(.up)), length - 1)
            let lerp = source - lowF
            for o in 0..<outer {
                let a = (o * length + low) * inner, b = (o * length + high) * inner, dst = (o * newLength + t) * inner
                for i in 0..<inner {
                    let lo = x.scalars[a + i]
                    out[dst + i] = lo + (x.scalars[b + i] - lo) * lerp
                }
            }
        }
        var shape = x.shape
        shape[axis] = newLength
        return Tensor(uncheckedShape: shape, scalars: out)
    }
}

/// Keras `Permute(dims)`: reorders the sample axes; `dims` is 1-based (`(2, 1)` swaps the two axes
/// of `(batch, a, b)` giving `(batch, b, a)`), the batch axis stays first.
struct Permute: WeightlessLayer {
    let name: String
    var className: String { "Permute" }
    /// The permutation of the sample axes, 1-based as in the config.
    let dims: [Int]

    init(config: LayerConfig) throws {
        name = config.name
        guard let list = config["dims"]?.arrayValue else { throw config.unsupported("dims is missing or not a list") }
        dims = try list.map {
            guard let i = $0.intValue else { throw config.unsupported("dims \(config["dims"]?.serialized ?? "") is not a list of integers") }
            return i
        }
        guard dims.sorted() == Array(1...max(dims.count, 1)), !dims.isEmpty else {
            throw config.unsupported("dims \(dims) is not a permutation of 1…\(dims.count)")
        }
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], rank: dims.count + 1)
        return [s[0]] + dims.map { s[$0] }
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == dims.count + 1 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(dims.count + 1), got shape \(x.shape)")
        }
        let perm = [0] + dims
        let outShape = perm.map { x.shape[$0] }
        var inStrides = Array(repeating: 1, count: x.rank)
        for d in stride(from: x.rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * x.shape[d + 1] }
        let strides = perm.map { inStrides[$0] }
        var out = [Float](repeating: 0, count: x.count)
        var index = Array(repeating: 0, count: x.rank)
        var src = 0
        for o in 0..<x.count {
            out[o] = x.scalars[src]
            var d = x.rank - 1
            while d >= 0 {
                index[d] += 1
                src += strides[d]
                if index[d] < outShape[d] { break }
                src -= strides[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(uncheckedShape: outShape, scalars: out)
    }
}

/// Keras `ZeroPadding1D/2D` and `Cropping1D/2D`: zeros added to, or cells removed from, the
/// two ends of each spatial axis.
///
/// 1-D: `(batch, steps, C)`, option `padding`/`cropping` = `n` or `(before, after)`.
/// 2-D: `(batch, H, W, C)` (or `(batch, C, H, W)` with `channels_first`), option = `n`,
/// `(symmetric_h, symmetric_w)` or `((top, bottom), (left, right))`.
struct PadCrop: WeightlessLayer {
    let name: String
    let className: String
    /// `(before, after)` per spatial axis.
    let amounts: [(Int, Int)]
    let crops: Bool
    let channelsFirst: Bool

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        switch config.className {
        case "ZeroPadding1D": amounts = try pairs(config, "padding", axes: 1, default: (1, 1)); crops = false
        case "ZeroPadding2D": amounts = try pairs(config, "padding", axes: 2, default: (1, 1)); crops = false
        case "Cropping1D": amounts = try pairs(config, "cropping", axes: 1, default: (1, 1)); crops = true
        case "Cropping2D": amounts = try pairs(config, "cropping", axes: 2, default: (0, 0)); crops = true
        default: throw config.unsupported("is not a padding or cropping layer")
        }
        channelsFirst = amounts.count == 2 ? try isChannelsFirst(config) : false
    }

    private var spatialAxes: [Int] { channelsFirst ? [2, 3] : Array(1...amounts.count) }

    func outputShape(for inputShape: Shape) throws -> Shape {
        var s = try ShapeCheck(layer: name).single([inputShape], rank: amounts.count + 2)
        for (a, (before, after)) in zip(spatialAxes, amounts) {
            guard let d = s[a] else { continue }
            let n = crops ? d - before - after : d + before + after
            guard n > 0 else {
                throw KerasError(.shape, "layer '\(name)': cropping \((before, after)) leaves nothing of a dimension of \(d)")
            }
            s[a] = n
        }
        return s
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == amounts.count + 2 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(amounts.count + 2), got shape \(x.shape)")
        }
        var y = x
        for (a, (before, after)) in zip(spatialAxes, amounts) {
            if crops, before + after >= y.shape[a] {
                throw KerasError(.shape, "layer '\(name)': cropping \((before, after)) leaves nothing of a dimension of \(y.shape[a])")
            }
            y = crops ? AxisEdit.pad(y, axis: a, before: -before, after: -after) : AxisEdit.pad(y, axis: a, before: before, after: after)
        }
        return y
    }
}

/// Keras `UpSampling1D(size)` and `UpSampling2D(size, interpolation)`.
///
/// 1-D: `(batch, steps, C)` → `(batch, steps·size, C)`, each step repeated. 2-D: `(batch, H, W, C)`
/// (or channels_first) → `(batch, H·sh, W·sw, C)`; `nearest` (and `area`, identical for integer
/// factors) repeats cells, `bilinear` is TensorFlow's half-pixel bilinear resize. Other
/// interpolations are unsupported.
struct UpSampling: WeightlessLayer {
    let name: String
    let className: String
    let sizes: [Int]
    let bilinear: Bool
    let channelsFirst: Bool

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        switch config.className {
        case "UpSampling1D":
            sizes = [try config.int("size", default: 2)]
            bilinear = false
            channelsFirst = false
        case "UpSampling2D":
            sizes = try config.ints("size", count: 2, default: [2, 2])
            let interpolation = try config.string("interpolation", default: "nearest")
            guard ["nearest", "bilinear", "area"].contains(interpolation) else {
                throw config.unsupported("interpolation '\(interpolation)' is not supported (nearest, bilinear and area are)")
            }
            bilinear = interpolation == "bilinear"
            channelsFirst = try isChannelsFirst(config)
        default:
            throw config.unsupported("is not an upsampling layer")
        }
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else { throw config.unsupported("size \(sizes) is out of range") }
    }

    private var spatialAxes: [Int] { channelsFirst ? [2, 3] : Array(1...sizes.count) }

    func outputShape(for inputShape: Shape) throws -> Shape {
        var s = try ShapeCheck(layer: name).single([inputShape], rank: sizes.count + 2)
        for (a, f) in zip(spatialAxes, sizes) { s[a] = s[a].map { $0 * f } }
        return s
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == sizes.count + 2 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(sizes.count + 2), got shape \(x.shape)")
        }
        var y = x
        // Width first, then height: TensorFlow interpolates along x, then between the two rows.
        for (a, f) in zip(spatialAxes, sizes).reversed() {
            y = bilinear ? AxisEdit.bilinear(y, axis: a, factor: f) : AxisEdit.repeatElements(y, axis: a, times: f)
        }
        return y
    }
}
