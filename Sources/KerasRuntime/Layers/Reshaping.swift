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
        guard let free = targetShape.firstIndex(of: -1) else {
            if let count, count != targetShape.reduce(1, *) {
                throw KerasError(.shape, "layer '\(name)' cannot reshape \(count) elements to \(targetShape)")
            }
            return targetShape
        }
        guard let count else { return targetShape.map { $0 == -1 ? nil : $0 } }
        let known = targetShape.filter { $0 != -1 }.reduce(1, *)
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
