import KConvOps

/// Keras `Embedding`: looks up rows of `embeddings (input_dim, output_dim)`.
///
/// Input `(batch, d1, ...)` of indices (float32 here, as kconv tensors are; Keras casts them to
/// int32, truncating toward zero) → output `(batch, d1, ..., output_dim)`. An index outside
/// `0..<input_dim` is an error naming the layer, as TensorFlow's CPU lookup raises one. With
/// `mask_zero=True` the output mask is `x != 0` (shaped like the input, so `(batch, time)` for
/// sequences of indices, compared before the cast as Keras does); otherwise no mask leaves the
/// layer. `input_length` only fills unknown dimensions of the output shape.
struct Embedding: UnaryLayer {
    let name: String
    var className: String { "Embedding" }
    let inputDim: Int
    let outputDim: Int
    let maskZero: Bool
    /// `input_length`: the sample dimensions, `nil` entries unknown (Keras 2 only).
    let inputLength: [Int?]?
    private(set) var embeddings = Tensor(zeros: [0, 0])

    init(config: LayerConfig) throws {
        name = config.name
        inputDim = try config.int("input_dim")
        outputDim = try config.int("output_dim")
        guard inputDim > 0, outputDim > 0 else {
            throw config.unsupported("input_dim \(inputDim) and output_dim \(outputDim) must be positive")
        }
        maskZero = try config.bool("mask_zero", default: false)
        if try config.bool("sparse", default: false) { throw config.unsupported("sparse=True is not supported") }
        if let v = config["input_length"] {
            if let i = v.intValue {
                inputLength = [i]
            } else if let list = try config.shape("input_length") {
                inputLength = list
            } else {
                throw config.unsupported("input_length \(v.serialized) is not an integer or a list")
            }
        } else {
            inputLength = nil
        }
    }

    var weights: [Weight] { [Weight("embeddings", embeddings)] }

    mutating func build(inputShape: Shape, weights reader: inout WeightReader) throws {
        _ = try outputShape(for: inputShape)
        embeddings = try reader.take("embeddings", shape: [inputDim, outputDim])
    }

    func outputShape(for inputShape: Shape) throws -> Shape {
        let s = try ShapeCheck(layer: name).single([inputShape], minRank: 1)
        guard var lengths = inputLength else { return s + [outputDim] }
        guard lengths.count == s.count - 1 else {
            throw KerasError(.shape, "layer '\(name)': input_length \(lengths.map { $0.map(String.init) ?? "None" }) does not fit the input shape \(s.kerasDescription)")
        }
        for (i, d) in s.dropFirst().enumerated() {
            if let l = lengths[i], let d, l != d {
                throw KerasError(.shape, "layer '\(name)': input_length \(l) does not match the input shape \(s.kerasDescription)")
            }
            if lengths[i] == nil { lengths[i] = d }
        }
        return [s[0]] + lengths + [outputDim]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch Gather.rows(of: embeddings.scalars, rows: inputDim, width: outputDim, at: x.scalars) {
        case .success(let rows):
            return Tensor(uncheckedShape: x.shape + [outputDim], scalars: rows)
        case .failure(let outside):
            throw KerasError(.invalidArgument, "layer '\(name)' (Embedding): index \(outside.index) is outside the vocabulary 0..<\(inputDim)")
        }
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        let outputs = try call(inputs)
        guard maskZero, let x = inputs.first else { return (outputs, [nil]) }
        return (outputs, [Tensor(uncheckedShape: x.shape, scalars: Masks.nonZero(x.scalars))])
    }
}
