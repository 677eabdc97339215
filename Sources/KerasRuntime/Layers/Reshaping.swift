import KConvOps

/// Keras `Reshape(target_shape)`: a new sample shape with the same element count; one entry may be
/// -1. Keras `Flatten` is `Reshape((-1,))` over an input of rank ≥ 2: `(batch, d1, d2, ...)` →
/// `(batch, d1·d2·...)`, in channels-last order.
struct Reshape: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
    /// `Reshape` or `Flatten`.
    let className: String
    let targetShape: [Int]

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        targetShape = className == "Flatten" ? try Reshape.flattened(config) : try Reshape.targetShape(config)
    }

    /// Flatten's target shape, `(-1,)`; only channels-last inputs are supported.
    private static func flattened(_ config: LayerConfig) throws -> [Int] {
        if let format = config["data_format"]?.stringValue, format != "channels_last" {
            throw config.unsupported("data_format '\(format)' is not supported")
        }
        return [-1]
    }

    /// Reshape's `target_shape`: positive sizes and at most one -1.
    private static func targetShape(_ config: LayerConfig) throws -> [Int] {
        guard let shape = try config.shape("target_shape"), shape.allSatisfy({ $0 != nil && ($0! > 0 || $0! == -1) }) else {
            throw KerasError(.format, "layer '\(config.name)' (Reshape) has no valid target_shape")
        }
        let target = shape.map { $0! }
        guard target.filter({ $0 == -1 }).count <= 1 else {
            throw config.unsupported("target_shape \(target) has more than one -1")
        }
        return target
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
        if className == "Flatten" { _ = try ShapeCheck(layer: name).single([inputShape], minRank: 2) }
        return [inputShape.first ?? nil] + (try resolved(count: inputShape.knownSampleCount))
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
    var isSampleWise: Bool { true }
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
        // Each sample's row, seen as a length-1 axis, repeated n times along it.
        let out = AxisEdit.repeatSlices(x.scalars, shape: [x.shape[0], 1, x.shape[1]], axis: 1, times: n)
        return Tensor(uncheckedShape: out.shape, scalars: out.scalars)
    }
}

/// Keras `Permute(dims)`: reorders the sample axes; `dims` is 1-based (`(2, 1)` swaps the two axes
/// of `(batch, a, b)` giving `(batch, b, a)`), the batch axis stays first.
struct Permute: WeightlessLayer {
    let name: String
    var isSampleWise: Bool { true }
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
        let out = Transpose.permute(x.scalars, shape: x.shape, permutation: [0] + dims)
        return Tensor(uncheckedShape: out.shape, scalars: out.scalars)
    }
}
