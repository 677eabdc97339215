import KConvOps

/// Keras `Masking`: marks the steps whose features all equal `mask_value` as padding.
///
/// Input `(batch, time, features)` (any rank ≥ 2: the last axis is the feature axis). The output
/// mask is `any(x != mask_value, axis=-1)`, shaped like the input without its last axis — a
/// `(batch, time)` tensor of 1s and 0s for sequences — and the output is `x * mask` (masked steps
/// become all zeros). A mask arriving with the input is replaced, as in Keras (`compute_mask`
/// ignores it). `mask_value` is compared in float32, as TensorFlow casts it to the input's dtype.
struct Masking: WeightlessLayer {
    let name: String
    var className: String { "Masking" }
    let maskValue: Float

    init(config: LayerConfig) throws {
        name = config.name
        maskValue = Float(try config.double("mask_value", default: 0))
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        try ShapeCheck(layer: name).single([inputShape], minRank: 2)
    }

    /// The output and its mask: `(x * m, m)` with `m = any(x != mask_value, axis=-1)`.
    func masked(_ x: Tensor) throws -> (output: Tensor, mask: Tensor) {
        guard x.rank >= 2, let features = x.shape.last else {
            throw KerasError(.shape, "layer '\(name)' expects an input of rank ≥ 2, got shape \(x.shape)")
        }
        let rows = features == 0 ? Tensor.elementCount(Array(x.shape.dropLast())) ?? 0 : x.count / features
        // x * 0 at masked steps, as Keras computes it.
        let (out, mask) = Masks.masking(x.scalars, rowLength: features, rows: rows, value: maskValue)
        return (Tensor(uncheckedShape: x.shape, scalars: out),
                Tensor(uncheckedShape: Array(x.shape.dropLast()), scalars: mask))
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try masked(x).output
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        guard inputs.count == 1 else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, got \(inputs.count)")
        }
        let (y, m) = try masked(inputs[0])
        return ([y], [m])
    }
}
