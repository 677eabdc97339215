/// Maps Keras class names to the layers that implement them.
///
/// Adding a layer: write it in the file of its family under `Layers/` (its loops in `KConvOps`), add
/// one line here, and add a conformance case in its family under `Tools/conformance/families/`.
package enum LayerRegistry {
    typealias Maker = @Sendable (LayerConfig) throws -> any Layer

    static let makers: [String: Maker] = [
        "InputLayer": { try InputLayer(config: $0) },
        "Dense": { try Dense(config: $0) },
        "Conv1D": { try Convolution(config: $0) },
        "Conv2D": { try Convolution(config: $0) },
        "MaxPooling1D": { try Pooling(config: $0) },
        "MaxPooling2D": { try Pooling(config: $0) },
        "MaxPooling3D": { try Pooling(config: $0) },
        "Activation": { try ActivationLayer(config: $0) },
        "Dropout": { try IdentityLayer(config: $0) },
        "Flatten": { try Reshape(config: $0) },
        "Reshape": { try Reshape(config: $0) },
        "RepeatVector": { try RepeatVector(config: $0) },
        "LSTM": { try LSTM(config: $0) },
        "CuDNNLSTM": { try LSTM(config: $0) },
        "GRU": { try GRU(config: $0) },
        "CuDNNGRU": { try GRU(config: $0) },
        "SimpleRNN": { try SimpleRNN(config: $0) },
        "RNN": { try CellRNN.make(config: $0) },
        "TimeDistributed": { try TimeDistributed(config: $0) },
        "Bidirectional": { try Bidirectional(config: $0) },
        "ConvLSTM1D": { try ConvLSTM(config: $0) },
        "ConvLSTM2D": { try ConvLSTM(config: $0) },
        "Attention": { try DenseAttention(config: $0) },
        "AdditiveAttention": { try DenseAttention(config: $0) },
        "MultiHeadAttention": { try MultiHeadAttention(config: $0) },
        "Masking": { try Masking(config: $0) },
        "Identity": { try IdentityLayer(config: $0) },
        "Rescaling": { try Rescaling(config: $0) },
        "Normalization": { try FeatureNormalization(config: $0) },
        "ReLU": { try ActivationFunctionLayer(config: $0) },
        "LeakyReLU": { try ActivationFunctionLayer(config: $0) },
        "ELU": { try ActivationFunctionLayer(config: $0) },
        "ThresholdedReLU": { try ActivationFunctionLayer(thresholdedReLU: $0) },
        "PReLU": { try PReLU(config: $0) },
        "Softmax": { try SoftmaxLayer(config: $0) },
        "Concatenate": { try Concatenate(config: $0) },
        "Add": { try ElementwiseMerge(config: $0) },
        "Subtract": { try ElementwiseMerge(config: $0) },
        "Multiply": { try ElementwiseMerge(config: $0) },
        "Average": { try ElementwiseMerge(config: $0) },
        "Maximum": { try ElementwiseMerge(config: $0) },
        "Minimum": { try ElementwiseMerge(config: $0) },
        "Dot": { try Dot(config: $0) },
        "BatchNormalization": { try BatchNormalization(config: $0) },
        "LayerNormalization": { try LayerNormalization(config: $0) },
        "UnitNormalization": { try UnitNormalization(config: $0) },
        "AveragePooling1D": { try Pooling(config: $0) },
        "AveragePooling2D": { try Pooling(config: $0) },
        "AveragePooling3D": { try Pooling(config: $0) },
        "GlobalMaxPooling1D": { try GlobalPooling(config: $0) },
        "GlobalMaxPooling2D": { try GlobalPooling(config: $0) },
        "GlobalAveragePooling1D": { try GlobalPooling(config: $0) },
        "GlobalAveragePooling2D": { try GlobalPooling(config: $0) },
        "GlobalMaxPooling3D": { try GlobalPooling(config: $0) },
        "GlobalAveragePooling3D": { try GlobalPooling(config: $0) },
        "Embedding": { try Embedding(config: $0) },
        "SpatialDropout1D": { try IdentityLayer(config: $0) },
        "SpatialDropout2D": { try IdentityLayer(config: $0) },
        "SpatialDropout3D": { try IdentityLayer(config: $0) },
        "GaussianNoise": { try IdentityLayer(config: $0) },
        "GaussianDropout": { try IdentityLayer(config: $0) },
        "AlphaDropout": { try IdentityLayer(config: $0) },
        "ActivityRegularization": { try IdentityLayer(config: $0) },
        "Permute": { try Permute(config: $0) },
        "ZeroPadding1D": { try PadCrop(config: $0) },
        "ZeroPadding2D": { try PadCrop(config: $0) },
        "Cropping1D": { try PadCrop(config: $0) },
        "Cropping2D": { try PadCrop(config: $0) },
        "UpSampling1D": { try UpSampling(config: $0) },
        "UpSampling2D": { try UpSampling(config: $0) },
        "DepthwiseConv1D": { try DepthwiseConv(config: $0) },
        "DepthwiseConv2D": { try DepthwiseConv(config: $0) },
        "SeparableConv1D": { try DepthwiseConv(config: $0) },
        "SeparableConv2D": { try DepthwiseConv(config: $0) },
        "Conv1DTranspose": { try ConvTranspose(config: $0) },
        "Conv2DTranspose": { try ConvTranspose(config: $0) },
        "Sequential": { try NestedModel(config: $0) },
        "Functional": { try NestedModel(config: $0) },
        "Model": { try NestedModel(config: $0) },
    ]

    /// The Keras class names kconv can run.
    package static var supportedClassNames: [String] { makers.keys.sorted() }

    /// Makes the layer a config describes, or throws an `unsupported` error naming it.
    package static func make(_ config: LayerConfig) throws -> any Layer {
        // Recorded operations (TFOpLambda, Keras 3 op nodes): their class name may equal a layer's.
        if config[LayerSpec.operationKey] != nil { return try OperationLayer(config: config) }
        guard let maker = makers[config.className] else {
            throw KerasError(.unsupported, unsupportedReason(config))
        }
        return try maker(config)
    }

    /// Why a layer class cannot run: Python code (Lambda, TF ops, custom classes) is not in the file.
    static func unsupportedReason(_ config: LayerConfig, function: String? = nil) -> String {
        let layer = "layer '\(config.name)'"
        let function = function ?? config["function"]?.stringValue.map { "tf.\($0)" }
        switch config.className {
        case "Lambda":
            return "\(layer) is a Lambda: its Python code cannot be run outside Python"
        case "TFOpLambda":
            return "\(layer) is a TFOpLambda calling \(function ?? "a TensorFlow function"), which kconv does not run (of TensorFlow functions it runs +, -, *, /, //, comparisons, tf.where, x[...], tf.reduce_mean/sum/max/min, tf.maximum, tf.minimum, tf.cast, tf.exp, tf.math.log, tf.sqrt, tf.square, tf.abs, tf.negative, tf.tanh, tf.sigmoid, tf.nn.relu, tf.math.erf, tf.clip_by_value, tf.reshape, tf.transpose, tf.expand_dims, tf.squeeze, tf.concat, tf.stack, tf.split, tf.one_hot, tf.nn.softmax and tf.matmul)"
        case "SlicingOpLambda":
            return "\(layer) is a SlicingOpLambda calling \(function ?? "a TensorFlow function"), which kconv does not run (it runs x[...] subscripts)"
        case let cls where cls.contains(">"):
            return "\(layer) has the custom class \(cls): its Python code is not in the file"
        default:
            return "\(layer) has class \(config.className), which kconv does not support (a custom class, or a Keras layer kconv does not implement)"
        }
    }
}
