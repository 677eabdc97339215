import KConvOps

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

/// Keras `ZeroPadding1D/2D` and `Cropping1D/2D`: zeros added to, or cells removed from, the
/// two ends of each spatial axis.
///
/// 1-D: `(batch, steps, C)`, option `padding`/`cropping` = `n` or `(before, after)`.
/// 2-D: `(batch, H, W, C)` (or `(batch, C, H, W)` with `channels_first`), option = `n`,
/// `(symmetric_h, symmetric_w)` or `((top, bottom), (left, right))`.
struct PadCrop: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
    let className: String
    /// `(before, after)` per spatial axis.
    let amounts: [(Int, Int)]
    /// Cropping removes the amounts; padding adds zeros.
    let crops: Bool
    let layout: SpatialLayout

    /// Per class: the option holding the amounts, the spatial rank, and the amount when it is missing.
    private static let kinds: [String: (key: String, rank: Int, fallback: Int)] = [
        "ZeroPadding1D": ("padding", 1, 1), "ZeroPadding2D": ("padding", 2, 1),
        "Cropping1D": ("cropping", 1, 1), "Cropping2D": ("cropping", 2, 0),
    ]

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        guard let kind = PadCrop.kinds[className] else { throw config.unsupported("is not a padding or cropping layer") }
        amounts = try pairs(config, kind.key, axes: kind.rank, default: (kind.fallback, kind.fallback))
        crops = kind.key == "cropping"
        // The 1-D layers have no data_format.
        layout = amounts.count == 2 ? try SpatialLayout(config: config, rank: 2) : SpatialLayout(rank: 1, channelsFirst: false)
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        var s = try ShapeCheck(layer: name).single([inputShape], rank: amounts.count + 2)
        for (a, (before, after)) in zip(layout.axes, amounts) {
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
        var y = (shape: x.shape, scalars: x.scalars)
        for (a, (before, after)) in zip(layout.axes, amounts) {
            if crops, before + after >= y.shape[a] {
                throw KerasError(.shape, "layer '\(name)': cropping \((before, after)) leaves nothing of a dimension of \(y.shape[a])")
            }
            // Cropping is padding by negative amounts.
            let (start, end) = crops ? (-before, -after) : (before, after)
            y = AxisEdit.pad(y.scalars, shape: y.shape, axis: a, before: start, after: end)
        }
        return Tensor(uncheckedShape: y.shape, scalars: y.scalars)
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
    var isSampleWise: Bool { true }
    let className: String
    let sizes: [Int]
    let bilinear: Bool
    let layout: SpatialLayout

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        switch config.className {
        case "UpSampling1D":
            sizes = [try config.int("size", default: 2)]
            bilinear = false
            layout = SpatialLayout(rank: 1, channelsFirst: false)
        case "UpSampling2D":
            sizes = try config.ints("size", count: 2, default: [2, 2])
            let interpolation = try config.string("interpolation", default: "nearest")
            guard ["nearest", "bilinear", "area"].contains(interpolation) else {
                throw config.unsupported("interpolation '\(interpolation)' is not supported (nearest, bilinear and area are)")
            }
            bilinear = interpolation == "bilinear"
            layout = try SpatialLayout(config: config, rank: 2)
        default:
            throw config.unsupported("is not an upsampling layer")
        }
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else { throw config.unsupported("size \(sizes) is out of range") }
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        var s = try ShapeCheck(layer: name).single([inputShape], rank: sizes.count + 2)
        for (a, f) in zip(layout.axes, sizes) { s[a] = s[a].map { $0 * f } }
        return s
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == sizes.count + 2 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank \(sizes.count + 2), got shape \(x.shape)")
        }
        var y = (shape: x.shape, scalars: x.scalars)
        // Width first, then height: TensorFlow interpolates along x, then between the two rows.
        for (a, f) in zip(layout.axes, sizes).reversed() {
            y = bilinear ? AxisEdit.bilinear(y.scalars, shape: y.shape, axis: a, factor: f)
                         : AxisEdit.repeatSlices(y.scalars, shape: y.shape, axis: a, times: f)
        }
        return Tensor(uncheckedShape: y.shape, scalars: y.scalars)
    }
}
