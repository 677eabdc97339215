import KConvOps

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
///
/// Masks: a `(batch, time)` mask passes through. A mask with more axes, `(batch, time, steps)` (a
/// Masking or Embedding mask of a rank-4 input), is handed to the wrapped layer as
/// `(batch·time, steps)`, so a wrapped RNN skips the masked steps of each slice; the mask given on
/// depends on the writing Keras (`KerasVersion.timeDistributedPassesInputMask`).
struct TimeDistributed: UnaryLayer {
    let name: String
    var className: String { "TimeDistributed" }
    var isSampleWise: Bool { inner.isSampleWise }
    /// The wrapped layer.
    private(set) var inner: any Layer
    let passesInputMask: Bool

    init(config: LayerConfig) throws {
        name = config.name
        inner = try LayerRegistry.make(config.wrappedLayer())
        passesInputMask = config.version.timeDistributedPassesInputMask
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
        return try timeSlices(x, mask: nil).output
    }

    /// The wrapped layer on `x` (and `mask`) viewed as `(batch·time, ...)`, its output viewed back as
    /// `(batch, time, ...)`, and the mask the wrapped layer gave, if any (still `(batch·time, ...)`).
    private func timeSlices(_ x: Tensor, mask: Tensor?) throws -> (output: Tensor, innerMask: Tensor?) {
        let batch = x.shape[0], steps = x.shape[1]
        let merged = try x.reshaped([batch * steps] + Array(x.shape[2...]))
        let result: (outputs: [Tensor], masks: [Tensor?])
        if let mask {
            result = try inner.call([merged], masks: [try mask.reshaped([batch * steps] + Array(mask.shape[2...]))])
        } else {
            result = (try inner.call([merged]), [nil])
        }
        guard result.outputs.count == 1, let y = result.outputs.first, y.rank >= 1, y.shape[0] == batch * steps else {
            throw KerasError(.shape, "layer '\(name)': the wrapped layer '\(inner.name)' did not return one tensor of \(batch * steps) rows")
        }
        return (try y.reshaped([batch, steps] + Array(y.shape.dropFirst())), result.masks.first ?? nil)
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        guard inputs.count == 1, let x = inputs.first, x.rank >= 3, let mask = masks.first ?? nil, mask.rank >= 3 else {
            return (try call(inputs), [masks.first ?? nil])
        }
        let batch = x.shape[0], steps = x.shape[1]
        guard Array(mask.shape.prefix(2)) == [batch, steps] else {
            throw KerasError(.shape, "layer '\(name)': the mask has shape \(mask.shape), the input \(x.shape)")
        }
        let (output, innerMask) = try timeSlices(x, mask: mask)
        if passesInputMask { return ([output], [mask]) }
        if let innerMask {
            return ([output], [try innerMask.reshaped([batch, steps] + Array(innerMask.shape.dropFirst()))])
        }
        // Keras 2: any(mask) over the axes past (batch, time).
        let reduced = Sequences.anyNonZero(mask.scalars, rows: batch * steps, width: mask.count / (batch * steps))
        return ([output], [Tensor(uncheckedShape: [batch, steps], scalars: reduced)])
    }
}

/// Keras `Bidirectional` around an `LSTM`, `GRU` or `SimpleRNN` (CuDNN variants included).
///
/// Input `(batch, time, features)`, then optionally the initial states: the forward layer's first,
/// then the backward layer's (`[x, h_f(, c_f), h_b(, c_b)]`, split half/half). The forward layer
/// runs on `x`; the backward layer is `backward_layer` when the config has one (tf.keras, Keras 3),
/// else a copy of `layer` with `go_backwards` flipped. With `return_sequences` the backward output
/// `(batch, time, u)` is reversed back in time so that step `t` of both belongs to input step `t`.
///
/// Merge modes: `concat` → `(…, 2u)`, forward first; `sum`, `mul`, `ave` (`(y + y_rev) / 2`)
/// elementwise → `(…, u)`; `None` → two outputs `[y, y_rev]`. With `return_state` the outputs are
/// `[merged (or y, y_rev), forward states…, backward states…]`, each state `(batch, u)`.
///
/// Weights: the forward layer's, then the backward layer's, each in its own order. Masks reach both
/// layers; tf.keras and Keras 3 force `zero_output_for_mask = return_sequences` on both, so masked
/// steps of a returned sequence are zeros (Keras 1/2.0–2.3 do not). The output mask is the input mask
/// with `return_sequences` (one per output for merge `None`), else none.
struct Bidirectional: Layer {
    /// How the two directions are combined.
    enum Merge: String, Sendable {
        case concat, sum, mul, ave
    }

    let name: String
    var className: String { "Bidirectional" }
    /// nil for `merge_mode=None` (two outputs).
    let merge: Merge?
    private(set) var forward: any RecurrentLayer
    private(set) var backward: any RecurrentLayer

    init(config: LayerConfig) throws {
        name = config.name
        if let mode = config["merge_mode"] {
            guard let text = mode.stringValue, let m = Merge(rawValue: text) else {
                throw config.unsupported("merge_mode \(mode.serialized) is not one of concat, sum, mul, ave, None")
            }
            merge = m
        } else {
            merge = nil
        }
        if config["num_constants"]?.intValue ?? 0 > 0 {
            throw config.unsupported("constants (num_constants) are not supported")
        }
        let forwardConfig = try config.wrappedLayer()
        var f = try Bidirectional.recurrent(forwardConfig, in: config)
        var b: any RecurrentLayer
        if config["backward_layer"] != nil {
            b = try Bidirectional.recurrent(try config.wrappedLayer("backward_layer"), in: config)
        } else {
            var values = forwardConfig.values
            values["go_backwards"] = .bool(!f.core.options.goBackwards)
            values["name"] = .string("backward_" + forwardConfig.name)
            b = try Bidirectional.recurrent(LayerConfig(className: forwardConfig.className, name: "backward_" + forwardConfig.name,
                                                        values: values, version: config.version), in: config)
        }
        guard f.core.options.goBackwards != b.core.options.goBackwards else {
            throw KerasError(.format, "layer '\(name)' (Bidirectional): the forward and backward layers have the same go_backwards")
        }
        guard f.core.options.returnSequences == b.core.options.returnSequences,
              f.core.options.returnState == b.core.options.returnState,
              f.core.stateCount == b.core.stateCount else {
            throw KerasError(.format, "layer '\(name)' (Bidirectional): the forward and backward layers differ in return_sequences, return_state or cell type")
        }
        if !config.version.rnnMasksWithPreviousState {
            f.core.options.zeroOutputForMask = f.core.options.returnSequences
            b.core.options.zeroOutputForMask = b.core.options.returnSequences
        }
        forward = f
        backward = b
    }

    private static func recurrent(_ inner: LayerConfig, in config: LayerConfig) throws -> any RecurrentLayer {
        guard let layer = try LayerRegistry.make(inner) as? any RecurrentLayer else {
            throw config.unsupported("wrapping a \(inner.className) is not supported (only LSTM, GRU, SimpleRNN and their CuDNN variants)")
        }
        return layer
    }

    var weights: [Weight] { forward.weights + backward.weights }

    private var returnSequences: Bool { forward.core.options.returnSequences }
    private var returnState: Bool { forward.core.options.returnState }

    /// Splits `[x, states…]` into the forward layer's and the backward layer's inputs.
    private func split<T>(_ inputs: [T]) throws -> (forward: [T], backward: [T]) {
        guard let x = inputs.first else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects an input")
        }
        let states = Array(inputs.dropFirst())
        guard states.isEmpty || states.count == 2 * forward.core.stateCount else {
            throw KerasError(.invalidArgument, "layer '\(name)' expects 1 input, or 1 input and \(2 * forward.core.stateCount) initial states, got \(inputs.count) inputs")
        }
        let half = states.count / 2
        return ([x] + states[..<half], [x] + states[half...])
    }

    mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws {
        let (f, b) = try split(inputShapes)
        try forward.build(inputShapes: f, weights: &weights)
        try backward.build(inputShapes: b, weights: &weights)
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        let (f, b) = try split(inputShapes)
        let fs = try forward.outputShapes(for: f)
        let bs = try backward.outputShapes(for: b)
        guard let y = fs.first, let yRev = bs.first, y.count == yRev.count, y.count >= 2 else {
            throw KerasError(.shape, "layer '\(name)': the two directions give no output")
        }
        var outputs: [Shape]
        switch merge {
        case .concat?:
            var s = y
            let last = y.count - 1
            if let a = y[last], let b = yRev[last] { s[last] = a + b } else { s[last] = nil }
            outputs = [s]
        case .sum?, .mul?, .ave?:
            outputs = [y]
        case nil:
            outputs = [y, yRev]
        }
        if returnState { outputs += fs.dropFirst() + bs.dropFirst() }
        return outputs
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try call(inputs, masks: []).outputs
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        let (f, b) = try split(inputs)
        let mask = masks.first ?? nil
        let fm = [mask] + Array(repeating: nil, count: f.count - 1)
        let bm = [mask] + Array(repeating: nil, count: b.count - 1)
        let fy = try forward.call(f, masks: fm).outputs
        let by = try backward.call(b, masks: bm).outputs
        guard let y = fy.first, var yRev = by.first, y.shape == yRev.shape else {
            throw KerasError(.shape, "layer '\(name)': the two directions returned different shapes")
        }
        if returnSequences { yRev = Bidirectional.reversedInTime(yRev) }
        let outputMask = returnSequences ? mask : nil
        var outputs: [Tensor]
        switch merge {
        case .concat?:
            let w = y.shape.last ?? 0
            outputs = [Tensor(uncheckedShape: Array(y.shape.dropLast()) + [2 * w],
                              scalars: Sequences.joinedRows(y.scalars, yRev.scalars, width: w))]
        case .sum?:
            outputs = [Tensor(uncheckedShape: y.shape, scalars: Sequences.combined(y.scalars, yRev.scalars, .sum))]
        case .mul?:
            outputs = [Tensor(uncheckedShape: y.shape, scalars: Sequences.combined(y.scalars, yRev.scalars, .product))]
        case .ave?:
            outputs = [Tensor(uncheckedShape: y.shape, scalars: Sequences.combined(y.scalars, yRev.scalars, .mean))]
        case nil:
            outputs = [y, yRev]
        }
        var outMasks: [Tensor?] = outputs.map { _ in outputMask }
        if returnState {
            let states = Array(fy.dropFirst()) + Array(by.dropFirst())
            outputs += states
            outMasks += states.map { _ in nil }
        }
        return (outputs, outMasks)
    }

    /// `(batch, time, …)` with the time axis reversed.
    static func reversedInTime(_ t: Tensor) -> Tensor {
        guard t.rank >= 2 else { return t }
        let batch = t.shape[0], steps = t.shape[1]
        let inner = steps > 0 && batch > 0 ? t.count / (batch * steps) : 0
        return Tensor(uncheckedShape: t.shape, scalars: Sequences.reversed(t.scalars, batch: batch, steps: steps, inner: inner))
    }
}
