import KerasRuntime

/// Keras 1 layer configs in Keras 2 terms, as Keras 2's `keras/legacy/interfaces.py` converts
/// them when it loads a Keras 1 file (KERAS_FORMATS.md 2.7).
///
/// Only the config is translated here; the Keras 1 weight layouts are converted by
/// `StoredWeightConversion`.
enum Keras1Config {
    /// Keras 1 class names that Keras 2 renamed.
    static let classAliases: [String: String] = [
        "Convolution1D": "Conv1D",
        "Convolution2D": "Conv2D",
        "Convolution3D": "Conv3D",
        "AtrousConvolution1D": "Conv1D",
        "AtrousConvolution2D": "Conv2D",
        "Deconvolution2D": "Conv2DTranspose",
        "SeparableConvolution2D": "SeparableConv2D",
    ]

    /// Keys renamed for every layer class that has them (the new name wins if both are present).
    static let renames: [(old: String, new: String)] = [
        ("nb_filter", "filters"),
        ("filter_length", "kernel_size"),
        ("subsample_length", "strides"),
        ("subsample", "strides"),
        ("border_mode", "padding"),
        ("atrous_rate", "dilation_rate"),
        ("pool_length", "pool_size"),
        ("inner_activation", "recurrent_activation"),
        ("init", "kernel_initializer"),
        ("inner_init", "recurrent_initializer"),
        ("bias", "use_bias"),
        ("dropout_W", "dropout"),
        ("dropout_U", "recurrent_dropout"),
        ("W_regularizer", "kernel_regularizer"),
        ("U_regularizer", "recurrent_regularizer"),
        ("b_regularizer", "bias_regularizer"),
        ("W_constraint", "kernel_constraint"),
        ("U_constraint", "recurrent_constraint"),
        ("b_constraint", "bias_constraint"),
    ]

    /// Classes whose Keras 1 `output_dim` became `units` (Embedding keeps `output_dim`).
    static let unitsClasses: Set<String> = ["Dense", "LSTM", "GRU", "SimpleRNN", "Highway", "MaxoutDense"]

    /// Keras 1 `Merge` modes and the Keras 2 merge layer each one is.
    static let mergeModes: [String: String] = [
        "concat": "Concatenate", "sum": "Add", "mul": "Multiply", "ave": "Average", "max": "Maximum",
    ]

    /// Translates one layer's class name and config.
    static func translate(className: String, config: [String: JSON]) throws -> (className: String, config: [String: JSON]) {
        var cls = classAliases[className] ?? className
        var c = config
        let name = c["name"]?.stringValue ?? className

        func rename(_ old: String, _ new: String) {
            guard let v = c.removeValue(forKey: old), c[new] == nil else { return }
            c[new] = v
        }
        for r in renames { rename(r.old, r.new) }
        if unitsClasses.contains(cls) { rename("output_dim", "units") }
        if let rows = c.removeValue(forKey: "nb_row"), let cols = c.removeValue(forKey: "nb_col"), c["kernel_size"] == nil {
            c["kernel_size"] = .array([rows, cols])
        }
        if let ordering = c.removeValue(forKey: "dim_ordering"), c["data_format"] == nil {
            switch ordering.stringValue {
            case "th"?: c["data_format"] = .string("channels_first")
            case "tf"?, "default"?: c["data_format"] = .string("channels_last")
            default:
                throw KerasError(.format, "layer '\(name)' (\(className)): unknown dim_ordering \(ordering.serialized)")
            }
        }
        c.removeValue(forKey: "input_dtype")
        c.removeValue(forKey: "consume_less")
        c.removeValue(forKey: "forget_bias_init")

        switch cls {
        case "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout":
            rename("p", "rate")
        case "MaxPooling1D", "AveragePooling1D":
            rename("stride", "strides")
        case "UpSampling1D":
            rename("length", "size")
        case "Embedding":
            rename("W_regularizer", "embeddings_regularizer")
            rename("W_constraint", "embeddings_constraint")
            c.removeValue(forKey: "dropout")
        case "BatchNormalization":
            if let mode = c.removeValue(forKey: "mode"), mode.intValue != 0 {
                throw KerasError(.unsupported, "layer '\(name)' (BatchNormalization): Keras 1 mode \(mode.serialized) normalises with batch statistics at inference; only mode 0 can be run")
            }
        case "Merge":
            if c["layers"] != nil {
                throw KerasError(.unsupported, "layer '\(name)' (Keras 1 Merge): a Merge of whole sub-models inside a Sequential model cannot be rebuilt; only Merge layers of a functional Model can")
            }
            let mode = c["mode"]?.stringValue ?? "sum"
            guard c["mode_type"]?.stringValue ?? "raw" == "raw", let merged = mergeModes[mode] else {
                throw KerasError(.unsupported, "layer '\(name)' (Keras 1 Merge): mode \(c["mode"]?.serialized ?? "null") cannot be run (supported: \(mergeModes.keys.sorted().joined(separator: ", ")))")
            }
            cls = merged
            var out: [String: JSON] = ["name": .string(name)]
            if merged == "Concatenate" { out["axis"] = c["concat_axis"] ?? .number(-1) }
            c = out
        default:
            break
        }
        return (cls, c)
    }
}
