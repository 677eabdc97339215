import Foundation

/// One Keras layer: its options, its weights, its shape rule and its forward pass.
///
/// A layer is made in two steps, like Keras' `from_config` then `build`: `init(config:)` reads and
/// checks the options (so unsupported options are found before anything runs), and
/// `build(inputShapes:weights:)` creates the weights for the given input shapes, taking them from
/// the file in Keras' order and checking each one's shape.
package protocol Layer: Sendable {
    /// The name Keras gave the layer.
    var name: String { get }
    /// The Keras class name shown in summaries (`"Dense"`, `"CuDNNLSTM"` ...).
    var className: String { get }
    /// The layer's weights in Keras' order (`layer.weights`), each marked trainable or not.
    var weights: [Weight] { get }

    /// Reads and checks the layer's options.
    init(config: LayerConfig) throws

    /// Takes the layer's weights for inputs of the given shapes.
    mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws

    /// The output shapes for inputs of the given shapes (batch first, `nil` when unknown).
    func outputShapes(for inputShapes: [Shape]) throws -> [Shape]

    /// The forward pass at inference (dropout and noise are identities).
    func call(_ inputs: [Tensor]) throws -> [Tensor]

    /// What the layer does with a Keras mask arriving with its input (default: drops it).
    var maskBehavior: MaskBehavior { get }

    /// Whether each sample of the output (batch first) depends on the same sample of the input alone,
    /// whatever the batch size: the graph may then call the layer on slices of the batch
    /// (`SlicedRun`). Default: false.
    var isSampleWise: Bool { get }

    /// The forward pass with Keras masks: one optional mask per input, one per output.
    ///
    /// A mask is a `(batch, time)` tensor of 1s and 0s (0 = padded step). Layers that make masks
    /// (Masking, Embedding) or honour them (recurrent layers) implement this; the default calls
    /// `call(_:)` and passes or drops the mask as `maskBehavior` says.
    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?])
}

/// How a layer treats the Keras mask of its input, when it does not handle masks itself.
package enum MaskBehavior: Sendable {
    /// The mask stops here (Keras layers without `supports_masking`).
    case drop
    /// The output carries the first input's mask (Dense, Dropout, Activation, ...).
    case passThrough
}

extension Layer {
    package var maskBehavior: MaskBehavior { .drop }
    package var isSampleWise: Bool { false }

    package func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        let outputs = try call(inputs)
        let mask = maskBehavior == .passThrough ? masks.first ?? nil : nil
        return (outputs, outputs.map { _ in mask })
    }
}

/// A layer with one input and one output.
package protocol UnaryLayer: Layer {
    func outputShape(for inputShape: Shape) throws -> Shape
    func callAsFunction(_ input: Tensor) throws -> Tensor
    mutating func build(inputShape: Shape, weights: inout WeightReader) throws
}

extension UnaryLayer {
    package mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws {
        try build(inputShape: ShapeCheck(layer: name).single(inputShapes), weights: &weights)
    }

    package func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        [try outputShape(for: ShapeCheck(layer: name).single(inputShapes))]
    }

    package func call(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 1 else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, got \(inputs.count)")
        }
        return [try self(inputs[0])]
    }
}

/// A layer without weights.
package protocol WeightlessLayer: UnaryLayer {}

extension WeightlessLayer {
    package var weights: [Weight] { [] }
    package mutating func build(inputShape: Shape, weights: inout WeightReader) throws {
        _ = try outputShape(for: inputShape)
    }
}

/// A named weight tensor of a layer.
package struct Weight: Sendable {
    /// The variable's role in the layer (`"kernel"`, `"bias"`, `"moving_mean"` ...).
    package let name: String
    package let tensor: Tensor
    /// Whether Keras counts it as trainable (summaries split the parameter totals on this).
    package let trainable: Bool
    /// The size of one element of Keras' variable (4 for float32, 8 for an int64 counter), for the
    /// byte totals of summaries; kconv itself holds every weight as Float32.
    package let bytesPerElement: Int

    package init(_ name: String, _ tensor: Tensor, trainable: Bool = true, bytesPerElement: Int = 4) {
        self.name = name
        self.tensor = tensor
        self.trainable = trainable
        self.bytesPerElement = bytesPerElement
    }
}

/// Hands a layer its weights, in Keras' order, checking each shape; or zeros when the model has no weights.
package struct WeightReader: Sendable {
    /// A weight as found in a file: its stored name (for messages) and its values.
    package struct Stored: Sendable {
        package let name: String
        package let tensor: Tensor
        package init(name: String, tensor: Tensor) {
            self.name = name
            self.tensor = tensor
        }
    }

    /// A weight of the file: read, or (a large one) left in the file until a layer takes it.
    package enum Entry: Sendable {
        case stored(Stored)
        case inFile(name: String, rows: WeightRows)

        var name: String {
            switch self {
            case .stored(let w): w.name
            case .inFile(let name, _): name
            }
        }

        var shape: [Int] {
            switch self {
            case .stored(let w): w.tensor.shape
            case .inFile(_, let rows): rows.shape
            }
        }
    }

    let layerName: String
    let entries: [Entry]?
    private var next = 0
    private var zeroBudget: ZeroWeightBudget?

    /// Weights read from a file for the layer `layerName`, in Keras' order.
    package init(layerName: String, stored: [Stored]) {
        self.init(layerName: layerName, entries: stored.map { .stored($0) })
    }

    /// Weights of a file for the layer `layerName`, in Keras' order, some perhaps still in the file.
    package init(layerName: String, entries: [Entry]) {
        self.layerName = layerName
        self.entries = entries
    }

    /// No weights available (architecture only): every weight is zeros of the expected shape,
    /// `budget` bounding how many all the model's layers may make together.
    package init(zerosFor layerName: String, budget: ZeroWeightBudget = ZeroWeightBudget()) {
        self.layerName = layerName
        self.entries = nil
        self.zeroBudget = budget
    }

    /// Whether real weights (not zeros) are being read.
    package var hasStoredWeights: Bool { entries != nil }

    /// The next weight, which must have `shape`.
    package mutating func take(_ role: String, shape: [Int]) throws -> Tensor {
        switch try takeEntry(role, shape: shape) {
        case nil: return Tensor(zeros: shape)
        case .stored(let w)?: return w.tensor
        case .inFile(_, let rows)?: return try rows.tensor()
        }
    }

    /// The next weight, which must have the 2-D `shape`, as a reader of blocks of its rows: a large
    /// weight left in its file is then never held whole by the caller.
    package mutating func takeRows(_ role: String, shape: [Int]) throws -> WeightRows {
        switch try takeEntry(role, shape: shape) {
        case nil: return WeightRows(Tensor(zeros: shape))
        case .stored(let w)?: return WeightRows(w.tensor)
        case .inFile(_, let rows)?: return rows
        }
    }

    /// The next entry, checked against `shape`; nil without stored weights (zeros, counted).
    private mutating func takeEntry(_ role: String, shape: [Int]) throws -> Entry? {
        guard let count = Tensor.elementCount(shape), count <= SizeLimit.weightElements else {
            throw KerasError(.unsupported, "layer '\(layerName)': its \(role) would have shape \(shape), more than 2^30 elements, which kconv refuses as absurd")
        }
        guard let entries else {
            try zeroBudget?.spend(count, layer: layerName)
            return nil
        }
        guard next < entries.count else {
            throw KerasError(.format, "layer '\(layerName)' needs a '\(role)' weight of shape \(shape), but the file has only \(entries.count) weight(s) for it")
        }
        let w = entries[next]
        next += 1
        guard w.shape == shape else {
            throw KerasError(.shape, "layer '\(layerName)': weight '\(w.name)' has shape \(w.shape), the layer config needs \(role) of shape \(shape)")
        }
        return w
    }

    /// Checks that the layer used every weight the file holds for it.
    package func finish() throws {
        guard let entries, next != entries.count else { return }
        throw KerasError(.format, "layer '\(layerName)': the file has \(entries.count) weight(s), the layer config uses \(next)")
    }
}

/// A 2-D weight `(rows, columns)`, held in memory or left in its file (`.kconv`) until a layer takes
/// it: then it can be read a block of rows at a time, never whole.
package struct WeightRows: Sendable {
    /// `[rows, columns]`.
    package let shape: [Int]
    private let source: Source

    private enum Source: Sendable {
        case values(Tensor)
        case file(@Sendable (Range<Int>, UnsafeMutablePointer<Float>) throws -> Void)
    }

    /// A weight of `shape` left in its file, whose rows `read(rows, buffer)` writes, row-major, at `buffer`.
    package init(shape: [Int], reading read: @escaping @Sendable (Range<Int>, UnsafeMutablePointer<Float>) throws -> Void) {
        self.shape = shape
        source = .file(read)
    }

    /// A weight in memory.
    package init(_ tensor: Tensor) {
        shape = tensor.shape
        source = .values(tensor)
    }

    /// For a weight still in its file, the reader of blocks of its rows: `read(rows, buffer)` writes the
    /// rows `rows`, row-major, at `buffer`. Nil for one in memory.
    package var rowsInFile: (@Sendable (Range<Int>, UnsafeMutablePointer<Float>) throws -> Void)? {
        if case .file(let read) = source { return read }
        return nil
    }

    /// All of it, as a tensor: the one in memory (not copied), or read whole from the file.
    package func tensor() throws -> Tensor {
        switch source {
        case .values(let tensor):
            return tensor
        case .file(let read):
            let count = Tensor.elementCount(shape) ?? 0, rows = shape.first ?? 0
            let values = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                if let base = buffer.baseAddress, rows > 0 { try read(0..<rows, base) }
                initialized = count
            }
            return Tensor(uncheckedShape: shape, scalars: values)
        }
    }
}

/// How many zero weights a model read without its weights (an architecture alone, for its summary)
/// may make in all: 2^26 (256 MiB of float32). A tiny hostile architecture could otherwise ask for
/// gigabytes of zeros, one weight of 2^30 elements after another.
/// `@unchecked Sendable`: `spent` is only touched under `lock`.
package final class ZeroWeightBudget: @unchecked Sendable {
    package static let elements = 1 << 26
    private let lock = NSLock()
    private var spent = 0

    package init() {}

    /// Counts `count` more zero elements; throws once the model's total passes the budget.
    func spend(_ count: Int, layer: String) throws {
        let total = lock.withLock {
            spent += count
            return spent
        }
        guard total <= ZeroWeightBudget.elements else {
            throw KerasError(.unsupported, "layer '\(layer)': without its weights file the architecture is built with zero weights, and it needs more than 2^26 (67,108,864) of them, kconv's limit for an architecture read alone; give the weights file")
        }
    }
}

extension Layer {
    /// Parameter counts as Keras reports them.
    package var parameterCounts: (trainable: Int, nonTrainable: Int) {
        var t = 0, n = 0
        for w in weights {
            if w.trainable { t += w.tensor.count } else { n += w.tensor.count }
        }
        return (t, n)
    }

    /// The bytes Keras' variables take, trainable and not (summaries print them).
    package var parameterBytes: (trainable: Int, nonTrainable: Int) {
        var t = 0, n = 0
        for w in weights {
            if w.trainable { t += w.tensor.count * w.bytesPerElement } else { n += w.tensor.count * w.bytesPerElement }
        }
        return (t, n)
    }
}
