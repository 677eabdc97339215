/// Keras `TimeDistributed`: applies the wrapped layer to every time slice `x[:, t, ...]`.
///
/// Input `(batch, time, d1, ...)`. The inner layer sees samples of shape `(d1, ...)`: it is built
/// and asked for shapes with `(None, d1, ...)`, and at run time it is called once on the whole
/// input viewed as `(batch·time, d1, ...)` (the time slices are independent, so merging them into
/// the batch is exact and faster than a loop). Its output `(batch·time, e1, ...)` is viewed as
/// `(batch, time, e1, ...)`.
///
/// Weights are exactly the inner layer's, read in its order from the same reader; the parameter
/// counts are therefore the inner layer's.
struct TimeDistributed: UnaryLayer {
    let name: String
    var className: String { "TimeDistributed" }
    /// The wrapped layer.
    private(set) var inner: any Layer

    init(config: LayerConfig) throws {
        name = config.name
        inner = try LayerRegistry.make(config.wrappedLayer())
    }

    var weights: [Weight] { inner.weights }

    /// The shape one time slice has for the inner layer: `(None, d1, ...)`.
    private func innerShape(_ inputShape: Shape) throws -> Shape {
        guard inputShape.count >= 3 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank ≥ 3 (batch, time, ...), got \(inputShape.kerasDescription)")
        }
        return [nil] + Array(inputShape[2...])
    }

    mutating func build(inputShape: Shape, weights: inout WeightReader) throws {
        try inner.build(inputShapes: [try innerShape(inputShape)], weights: &weights)
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let outs = try inner.outputShapes(for: [try innerShape(inputShape)])
        guard outs.count == 1, let out = outs.first, !out.isEmpty else {
            throw KerasError(.unsupported, "layer '\(name)': the wrapped layer '\(inner.name)' must have one output with a batch dimension")
        }
        return [inputShape[0], inputShape[1]] + Array(out.dropFirst())
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 3 else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank ≥ 3 (batch, time, ...), got shape \(x.shape)")
        }
        let batch = x.shape[0], steps = x.shape[1]
        let merged = try x.reshaped([batch * steps] + Array(x.shape[2...]))
        let outs = try inner.call([merged])
        guard outs.count == 1, let y = outs.first, y.rank >= 1, y.shape[0] == batch * steps else {
            throw KerasError(.shape, "layer '\(name)': the wrapped layer '\(inner.name)' did not return one tensor of \(batch * steps) rows")
        }
        return try y.reshaped([batch, steps] + Array(y.shape.dropFirst()))
    }
}
