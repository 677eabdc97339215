import KConvOps
import KerasRuntime

/// Converts weights stored in the layouts of older Keras files to the layouts of Keras 2, which
/// kconv's layers take — what Keras 2's `preprocess_weights_for_loading` does
/// (KERAS_FORMATS.md 3.2, 3.4, 3.5):
///
/// - Keras 1 LSTM: 12 per-gate tensors `W_i,U_i,b_i, W_c,U_c,b_c, W_f,U_f,b_f, W_o,U_o,b_o` →
///   `kernel, recurrent_kernel, bias` in gate order i, f, c, o (indices `[0,6,3,9]`, `[1,7,4,10]`,
///   `[2,8,5,11]`); ConvLSTM2D the same (plus the `th` transposition);
/// - Keras 1 GRU: 9 tensors `W_z,U_z,b_z, W_r,U_r,b_r, W_h,U_h,b_h` → 3 (`[0,3,6]`, `[1,4,7]`, `[2,5,8]`);
/// - Keras 1 Conv1D `(k, 1, in, f)` → `(k, in, f)`, and the Keras 1.1 `(f, in, k, 1)` form;
/// - Keras 1 `th` (channels_first) kernels `(f, in, kh, kw)` → `(kh, kw, in, f)` (Conv2D, Conv3D,
///   Conv2DTranspose);
/// - kernels trained with Theano (the file's `backend` is `"theano"`) are flipped on every spatial
///   axis, since Theano convolves and TensorFlow correlates (`conv_utils.convert_kernel`);
/// - Bidirectional (first half forward, second half backward) and TimeDistributed convert their
///   inner layers' weights.
///
/// A Keras 1 file never records its backend. Its convolution kernels larger than 1 are therefore
/// refused unless the weight names show TensorFlow (TensorFlow variable names end in `:0`,
/// Theano's do not), because a Theano-trained kernel would silently give wrong outputs.
struct StoredWeightConversion {
    typealias Stored = WeightReader.Stored

    /// The weights are in Keras 1 layouts.
    let keras1: Bool
    /// The file says the weights were trained with Theano.
    let theano: Bool

    static let convolutionClasses: Set<String> = ["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D"]

    /// Whether any conversion can apply.
    var isNeeded: Bool { keras1 || theano }

    func convert(className: String, config: [String: JSON], layer: String, _ stored: [Stored]) throws -> [Stored] {
        guard isNeeded, !stored.isEmpty else { return stored }
        var weights = stored
        func inner(_ key: String) -> (className: String, config: [String: JSON])? {
            guard let o = config[key]?.objectValue, let cls = o["class_name"]?.stringValue,
                  let c = o["config"]?.objectValue else { return nil }
            return (cls, c)
        }
        switch className {
        case "Bidirectional":
            guard let forward = inner("layer"), weights.count % 2 == 0 else { return weights }
            let backward = inner("backward_layer") ?? forward
            let half = weights.count / 2
            return try convert(className: forward.className, config: forward.config, layer: layer, Array(weights[..<half]))
                + convert(className: backward.className, config: backward.config, layer: layer, Array(weights[half...]))
        case "TimeDistributed":
            guard let wrapped = inner("layer") else { return weights }
            return try convert(className: wrapped.className, config: wrapped.config, layer: layer, weights)
        default:
            break
        }
        if keras1 {
            weights = try convertKeras1(className: className, config: config, layer: layer, weights)
        }
        if Self.convolutionClasses.contains(className) {
            try orientKernels(className: className, layer: layer, stored: stored, &weights)
        }
        return weights
    }

    private func convertKeras1(className: String, config: [String: JSON], layer: String, _ w: [Stored]) throws -> [Stored] {
        var w = w
        let channelsFirst = config["data_format"]?.stringValue == "channels_first"
        switch className {
        case "LSTM" where w.count == 12, "ConvLSTM2D" where w.count == 12:
            var kernel = try concatenate(w, [0, 6, 3, 9], role: "kernel", layer: layer)
            var recurrent = try concatenate(w, [1, 7, 4, 10], role: "recurrent_kernel", layer: layer)
            let bias = try concatenate(w, [2, 8, 5, 11], role: "bias", layer: layer)
            if className == "ConvLSTM2D", channelsFirst {
                kernel = try transposed(kernel, [2, 3, 1, 0], layer: layer)
                recurrent = try transposed(recurrent, [2, 3, 1, 0], layer: layer)
            }
            w = [kernel, recurrent, bias]
        case "GRU" where w.count == 9:
            w = [try concatenate(w, [0, 3, 6], role: "kernel", layer: layer),
                 try concatenate(w, [1, 4, 7], role: "recurrent_kernel", layer: layer),
                 try concatenate(w, [2, 5, 8], role: "bias", layer: layer)]
        case "Conv1D":
            let k = w[0].tensor.shape
            guard k.count == 4 else { break }
            let length = LayerConfigValue.firstInt(config["kernel_size"])
            let filters = config["filters"]?.intValue
            if k[1] != 1 || (length != nil && k[0] != length) || (filters != nil && k[3] != filters) {
                // Keras 1.1: (filters, input_dim, filter_length, 1).
                guard k[3] == 1 else {
                    throw KerasError(.shape, "layer '\(layer)': Keras 1 Conv1D kernel '\(w[0].name)' has shape \(k), neither (length, 1, in, filters) nor (filters, in, length, 1)")
                }
                w[0] = try transposed(w[0], [2, 3, 1, 0], layer: layer)
            }
            let t = w[0].tensor
            w[0] = Stored(name: w[0].name, tensor: try Tensor(shape: [t.shape[0], t.shape[2], t.shape[3]], scalars: t.scalars))
        case "Conv2D", "Conv3D":
            if channelsFirst, w[0].tensor.rank >= 4 {
                let r = w[0].tensor.rank
                w[0] = try transposed(w[0], Array(2..<r) + [1, 0], layer: layer)
            }
        case "Conv2DTranspose":
            if w[0].tensor.rank == 4 {
                w[0] = try transposed(w[0], channelsFirst ? [2, 3, 0, 1] : [0, 1, 3, 2], layer: layer)
            }
        default:
            break
        }
        return w
    }

    /// Flips Theano-trained kernels; refuses Keras 1 kernels whose orientation the file does not tell.
    private func orientKernels(className: String, layer: String, stored: [Stored], _ w: inout [Stored]) throws {
        let flipped = className == "ConvLSTM2D" ? [0, 1] : [0]
        let spatialSizes = flipped.filter { $0 < w.count }.flatMap { w[$0].tensor.shape.dropLast(2) }
        guard spatialSizes.contains(where: { $0 > 1 }) else { return }  // 1×1 kernels read the same both ways
        if theano {
            for i in flipped where i < w.count {
                w[i] = try flippedSpatially(w[i], layer: layer)
            }
        } else if keras1 {
            let tensorflowNames = stored.allSatisfy { $0.name.hasSuffix(":0") }
            guard tensorflowNames else {
                throw KerasError(.unsupported, "layer '\(layer)' (\(className)): this Keras 1 file does not record its backend, and its weight names do not show TensorFlow; a Theano-trained convolution kernel is flipped relative to TensorFlow's, so the kernel's orientation cannot be known")
            }
        }
    }

    // MARK: Tensor layout helpers (file layouts only; layer math lives in KerasRuntime)

    /// The tensors at `indices`, joined along their last axis.
    private func concatenate(_ w: [Stored], _ indices: [Int], role: String, layer: String) throws -> Stored {
        let parts = indices.map { w[$0].tensor }
        guard let first = parts.first, first.rank >= 1 else {
            throw KerasError(.shape, "layer '\(layer)': cannot join Keras 1 \(role) tensors")
        }
        let lead = Array(first.shape.dropLast())
        guard parts.allSatisfy({ Array($0.shape.dropLast()) == lead }) else {
            throw KerasError(.shape, "layer '\(layer)': the Keras 1 per-gate \(role) tensors have different shapes \(parts.map(\.shape))")
        }
        let widths = parts.map { $0.shape.last ?? 0 }
        let rows = lead.reduce(1, *)
        var scalars: [Float] = []
        scalars.reserveCapacity(rows * widths.reduce(0, +))
        for r in 0..<rows {
            for (p, width) in zip(parts, widths) {
                scalars.append(contentsOf: p.scalars[(r * width)..<((r + 1) * width)])
            }
        }
        return Stored(name: indices.map { w[$0].name }.joined(separator: "+"),
                      tensor: try Tensor(shape: lead + [widths.reduce(0, +)], scalars: scalars))
    }

    /// `numpy.transpose(t, permutation)`.
    private func transposed(_ w: Stored, _ permutation: [Int], layer: String) throws -> Stored {
        let t = w.tensor
        guard permutation.count == t.rank, Set(permutation) == Set(0..<t.rank) else {
            throw KerasError(.shape, "layer '\(layer)': weight '\(w.name)' of shape \(t.shape) cannot be transposed by \(permutation)")
        }
        let (shape, out) = Transpose.permute(t.scalars, shape: t.shape, permutation: permutation)
        return Stored(name: w.name, tensor: try Tensor(shape: shape, scalars: out))
    }

    /// Reverses every axis but the last two (`conv_utils.convert_kernel`).
    private func flippedSpatially(_ w: Stored, layer: String) throws -> Stored {
        let t = w.tensor
        guard t.rank >= 3 else { return w }
        // x[::-1, ..., ::-1, :, :]: the spatial axes read from their last index backwards.
        let spatial = 0..<(t.rank - 2)
        let out = Slicing.gather(t.scalars, shape: t.shape,
                                 starts: t.shape.indices.map { spatial.contains($0) ? t.shape[$0] - 1 : 0 },
                                 steps: t.shape.indices.map { spatial.contains($0) ? -1 : 1 }, counts: t.shape)
        return Stored(name: w.name, tensor: try Tensor(shape: t.shape, scalars: out))
    }
}

/// Reads integers from config values that may be an integer or a one-element list.
enum LayerConfigValue {
    static func firstInt(_ value: JSON?) -> Int? {
        if let i = value?.intValue { return i }
        return value?.arrayValue?.first?.intValue
    }
}

/// A weight source whose weights pass through `StoredWeightConversion` on the way to the layers.
struct ConvertedWeights: WeightSource {
    let base: any WeightSource
    let conversion: StoredWeightConversion
    let layers: [String: LayerSpec]

    init(base: any WeightSource, conversion: StoredWeightConversion, graph: GraphSpec) {
        self.base = base
        self.conversion = conversion
        self.layers = Dictionary(graph.layers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func weights(forLayer name: String) throws -> [WeightReader.Stored] {
        let stored = try base.weights(forLayer: name)
        guard let spec = layers[name] else { return stored }
        return try conversion.convert(className: spec.className, config: spec.config, layer: name, stored)
    }
}
