/// Where a model's weights come from while it is built.
package protocol WeightSource {
    /// The stored weights of the layer called `name`, in Keras' order (empty if it has none).
    func weights(forLayer name: String) throws -> [WeightReader.Stored]
    /// The same weights as the layers are built from them: a source may leave large ones in their
    /// file until a layer takes them (default: `weights(forLayer:)`, all read).
    func entries(forLayer name: String) throws -> [WeightReader.Entry]
}

extension WeightSource {
    package func entries(forLayer name: String) throws -> [WeightReader.Entry] {
        try weights(forLayer: name).map { .stored($0) }
    }
}

/// A runnable Keras model: its layers, the order to call them in, and the shapes between them.
package struct LayerGraph: Sendable {
    /// One call of one layer.
    struct Step: Sendable {
        let layer: Int
        let inputs: [Int]
        let outputs: [Int]
    }

    /// The graph this model was built from.
    package let spec: GraphSpec
    /// The Keras release that wrote the model (it selects version-dependent formulas).
    package let kerasVersion: KerasVersion
    /// The layers, in the graph's order (Keras' `model.layers`).
    package private(set) var layers: [any Layer]
    /// For each layer, the output shapes of each of its calls.
    package private(set) var callShapes: [[[Shape]]]
    /// Shapes of the model's inputs and outputs.
    package private(set) var inputShapes: [Shape] = []
    package private(set) var outputShapes: [Shape] = []
    /// Names of the model's inputs (their InputLayers) and of the layers producing its outputs.
    package private(set) var inputNames: [String] = []
    package private(set) var outputNames: [String] = []

    private(set) var steps: [Step] = []
    /// The shape of each value (batch and other run-time dimensions nil).
    private(set) var valueShapes: [Shape] = []
    private var inputValues: [Int] = []
    /// The model inputs' types, which the inputs are cast to.
    private var inputDtypes: [LogicalDtype] = []
    private var outputValues: [Int] = []
    private var valueCount = 0
    /// For each value, the last step that reads it (values are freed after it).
    private var lastUse: [Int] = []
    /// The runs of steps that run slice by slice of the batch, by their first step.
    private(set) var slicedRuns: [Int: SlicedRun] = [:]

    /// Where weights come from while building.
    enum Supply {
        case source(any WeightSource)
        case zeros(ZeroWeightBudget)
        case shared(SharedReader)
    }

    /// A weight reader shared by all layers of a nested model (its weights are one list in the file).
    final class SharedReader {
        var reader: WeightReader
        init(_ reader: WeightReader) { self.reader = reader }
    }

    /// Builds the model: checks every layer's options first (all problems reported at once), then
    /// walks the graph, inferring shapes and binding weights (zeros when `weights` is nil).
    package init(spec: GraphSpec, version: KerasVersion, weights: (any WeightSource)?) throws {
        try self.init(spec: spec, version: version, supply: weights.map { .source($0) } ?? .zeros(ZeroWeightBudget()))
    }

    init(spec: GraphSpec, version: KerasVersion, supply: Supply) throws {
        self.spec = spec
        self.kerasVersion = version
        self.layers = try LayerGraph.makeLayers(spec, version: version)
        self.callShapes = Array(repeating: [], count: spec.layers.count)
        try wire(supply: supply)
    }

    /// Makes every layer from its config, collecting every unsupported layer or option into one error.
    package static func makeLayers(_ spec: GraphSpec, version: KerasVersion) throws -> [any Layer] {
        var layers: [any Layer] = []
        var problems: [KerasError] = []
        var seen = Set<String>()
        for l in spec.layers {
            if !seen.insert(l.name).inserted {
                problems.append(KerasError(.format, "two layers are named '\(l.name)'"))
            }
            do {
                layers.append(try LayerRegistry.make(LayerConfig(className: l.className, name: l.name, values: l.config, version: version)))
            } catch let e as KerasError {
                problems.append(e)
            }
        }
        guard problems.isEmpty else { throw KerasError.combining(problems) }
        return layers
    }

    private mutating func wire(supply: Supply) throws {
        let index = Dictionary(spec.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var valueOf: [TensorRef: Int] = [:]
        var built = Array(repeating: false, count: layers.count)

        func newValue(_ ref: TensorRef, _ shape: Shape) -> Int {
            valueShapes.append(shape)
            valueOf[ref] = valueShapes.count - 1
            return valueShapes.count - 1
        }

        // Inputs first: every InputLayer yields one value.
        for ref in spec.inputs {
            guard let li = index[ref.layer], let input = layers[li] as? InputLayer else {
                throw KerasError(.format, "model input \(ref) is not an InputLayer")
            }
            try SizeLimit.check(input.batchShape, of: "model input '\(ref.layer)'")
            let v = newValue(TensorRef(ref.layer, 0, 0), input.batchShape)
            inputValues.append(v)
            inputShapes.append(input.batchShape)
            inputDtypes.append(input.dtype)
            inputNames.append(ref.layer)
            callShapes[li] = [[input.batchShape]]
            built[li] = true
        }

        // Then every call, as soon as its inputs exist (the config's order need not be topological).
        var pending: [(layer: Int, call: Int)] = []
        for (li, l) in spec.layers.enumerated() where !(layers[li] is InputLayer) {
            callShapes[li] = Array(repeating: [], count: l.calls.count)
            for c in l.calls.indices { pending.append((li, c)) }
        }
        while !pending.isEmpty {
            var progressed = false
            var rest: [(layer: Int, call: Int)] = []
            for p in pending {
                let refs = spec.layers[p.layer].calls[p.call]
                guard refs.allSatisfy({ valueOf[$0] != nil }) else { rest.append(p); continue }
                let inputs = refs.map { valueOf[$0]! }
                let shapes = inputs.map { valueShapes[$0] }
                let name = spec.layers[p.layer].name
                do {
                    if !built[p.layer] {
                        try build(layer: p.layer, inputShapes: shapes, supply: supply)
                        built[p.layer] = true
                    }
                    let outs = try layers[p.layer].outputShapes(for: shapes)
                    for out in outs { try SizeLimit.check(out, of: "the output of layer '\(name)'") }
                    callShapes[p.layer][p.call] = outs
                    let outputs = outs.enumerated().map { newValue(TensorRef(name, p.call, $0), $1) }
                    steps.append(Step(layer: p.layer, inputs: inputs, outputs: outputs))
                } catch let e as KerasError {
                    throw e.message.contains("'\(name)'") ? e : KerasError(e.kind, "layer '\(name)': \(e.message)", file: e.file)
                }
                progressed = true
            }
            pending = rest
            if !progressed {
                let missing = pending.flatMap { spec.layers[$0.layer].calls[$0.call] }.filter { valueOf[$0] == nil }
                throw KerasError(.format, "the graph cannot be evaluated: \(missing.first.map(\.description) ?? "a tensor") is never produced")
            }
        }

        for ref in spec.outputs {
            guard let v = valueOf[ref] else { throw KerasError(.format, "model output \(ref) is never produced") }
            outputValues.append(v)
            outputShapes.append(valueShapes[v])
            outputNames.append(ref.layer)
        }
        valueCount = valueShapes.count
        lastUse = Array(repeating: -1, count: valueCount)
        for (si, s) in steps.enumerated() { for v in s.inputs { lastUse[v] = si } }
        for v in outputValues { lastUse[v] = Int.max }
        slicedRuns = SlicedRun.find(steps: steps, layers: layers, valueShapes: valueShapes, modelOutputs: outputValues)
    }

    private mutating func build(layer li: Int, inputShapes: [Shape], supply: Supply) throws {
        let name = spec.layers[li].name
        switch supply {
        case .shared(let box):
            try layers[li].build(inputShapes: inputShapes, weights: &box.reader)
        case .zeros(let budget):
            var reader = WeightReader(zerosFor: name, budget: budget)
            try layers[li].build(inputShapes: inputShapes, weights: &reader)
        case .source(let source):
            var reader = WeightReader(layerName: name, entries: try source.entries(forLayer: name))
            try layers[li].build(inputShapes: inputShapes, weights: &reader)
            try reader.finish()
        }
    }

    /// Whether the graph is a single chain (one input, one output, every layer called once on one
    /// tensor, every tensor used once): Keras then prints the short summary table.
    var isChain: Bool {
        guard inputValues.count == 1, outputValues.count == 1 else { return false }
        var uses = Array(repeating: 0, count: valueCount)
        var calls = Array(repeating: 0, count: layers.count)
        for s in steps {
            guard s.inputs.count == 1 else { return false }
            uses[s.inputs[0]] += 1
            calls[s.layer] += 1
        }
        return uses.allSatisfy { $0 <= 1 } && calls.allSatisfy { $0 <= 1 }
    }

    /// Runs the model on a batch: one tensor per model input, in the model's input order.
    package func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        try predict(inputs, observing: nil)
    }

    /// Runs the model like ``predict(_:)`` and hands every layer call's outputs to `observer`, in
    /// execution order: the layer's name, the call's index (0 for the first call of a shared
    /// layer), and the outputs. For finding the first layer whose outputs leave Keras'.
    package func predict(_ inputs: [Tensor], observing observer: ((_ layer: String, _ call: Int, _ outputs: [Tensor]) throws -> Void)?) throws -> [Tensor] {
        var none: RecurrentState? = nil
        return try evaluate(inputs, observer: observer, state: &none)
    }

    /// Runs the model on the next chunk of time steps of the same sequences, as Keras runs a model
    /// whose recurrent layers are `stateful`: every LSTM/GRU/SimpleRNN call starts from the states
    /// it ended with in the previous call on `state` (zeros at first, or after `reset()`), and
    /// leaves its final states there. The batch size must stay the same from chunk to chunk.
    /// Layers that read a sequence backwards (Bidirectional, `go_backwards`) or recur inside
    /// another layer (TimeDistributed around an RNN, ConvLSTM, nested models with RNNs) are refused.
    package func predict(_ inputs: [Tensor], carrying state: inout RecurrentState) throws -> [Tensor] {
        for layer in layers {
            if let reason = LayerGraph.streamingObstacle(layer) { throw KerasError(.unsupported, reason) }
        }
        var carried: RecurrentState? = state
        let outputs = try evaluate(inputs, observer: nil, state: &carried)
        if let carried { state = carried }
        return outputs
    }

    /// Why `layer` cannot run chunk by chunk with carried states, or nil when it can.
    static func streamingObstacle(_ layer: any Layer) -> String? {
        func recurs(_ l: any Layer) -> Bool {
            if l is any RecurrentLayer || l is Bidirectional || l is ConvLSTM { return true }
            if let td = l as? TimeDistributed { return recurs(td.inner) }
            if let nested = l as? NestedModel { return nested.model?.layers.contains(where: recurs) ?? false }
            return false
        }
        if layer is any RecurrentLayer { return nil }
        guard recurs(layer) else { return nil }
        return "layer '\(layer.name)' (\(layer.className)) cannot be streamed chunk by chunk: only LSTM, GRU, SimpleRNN and RNN layers that read forwards carry their states"
    }

    private func evaluate(_ inputs: [Tensor], observer: ((String, Int, [Tensor]) throws -> Void)?,
                          state: inout RecurrentState?) throws -> [Tensor] {
        guard inputs.count == inputValues.count else {
            throw KerasError(.invalidArgument, "the model takes \(inputValues.count) input(s), got \(inputs.count)")
        }
        let batch = inputs.first?.shape.first
        for (i, (t, expected)) in zip(inputs, inputShapes).enumerated() {
            let ok = t.rank == expected.count && zip(t.shape, expected).allSatisfy { $1 == nil || $0 == $1 }
            guard ok else {
                throw KerasError(.shape, "input \(i) ('\(inputNames[i])') has shape \(t.shape), the model expects \(expected.kerasDescription)")
            }
            guard t.shape.first == batch, (batch ?? 0) > 0 else {
                throw KerasError(.shape, "input \(i) ('\(inputNames[i])') has shape \(t.shape): inputs need the same batch size, at least 1")
            }
        }
        var values = [Tensor?](repeating: nil, count: valueCount)
        var masks = [Tensor?](repeating: nil, count: valueCount)
        for (i, t) in inputs.enumerated() {
            values[inputValues[i]] = inputDtypes[i] == .float32 ? t : Tensor(uncheckedShape: t.shape, scalars: inputDtypes[i].cast(t.scalars))
        }
        var callCounts = observer == nil ? [] : Array(repeating: 0, count: layers.count)
        var si = 0
        while si < steps.count {
            let step = steps[si]
            // A run of sample-wise calls, slice by slice of the batch (not while observing each call's
            // outputs, carrying states, or with a mask).
            if observer == nil, state == nil, let run = slicedRuns[si], let v = step.inputs.first, masks[v] == nil,
               let x = values[v], let y = try run.call(x, layers: layers) {
                if lastUse[v] == si { values[v] = nil }
                values[steps[run.steps.upperBound - 1].outputs[0]] = y
                si = run.steps.upperBound
                continue
            }
            var args: [Tensor] = []
            args.reserveCapacity(step.inputs.count)
            for v in step.inputs {
                guard let t = values[v] else { throw KerasError(.format, "internal: value \(v) missing") }
                args.append(t)
            }
            let argMasks = step.inputs.map { masks[$0] }
            for v in step.inputs where lastUse[v] == si {
                values[v] = nil
                masks[v] = nil
            }
            let results: (outputs: [Tensor], masks: [Tensor?])
            if state != nil, let rnn = layers[step.layer] as? any RecurrentLayer {
                let key = "\(rnn.name)/\(step.outputs.first ?? 0)"
                let carried = state?.states[key]
                if let carried, let x = args.first, carried.first?.shape.first != x.shape.first {
                    throw KerasError(.shape, "layer '\(rnn.name)': this chunk has batch size \(x.shape.first ?? 0), the carried states \(carried.first?.shape.first ?? 0); reset the state to change it")
                }
                let r = try rnn.call(args, masks: argMasks, carrying: carried)
                state?.states[key] = r.states
                results = (r.outputs, r.masks)
            } else {
                results = try layers[step.layer].call(args, masks: argMasks)
            }
            guard results.outputs.count == step.outputs.count, results.masks.count == step.outputs.count else {
                throw KerasError(.format, "layer '\(layers[step.layer].name)' returned \(results.outputs.count) tensors, expected \(step.outputs.count)")
            }
            for (i, v) in step.outputs.enumerated() {
                values[v] = results.outputs[i]
                masks[v] = results.masks[i]
            }
            if let observer {
                try observer(layers[step.layer].name, callCounts[step.layer], results.outputs)
                callCounts[step.layer] += 1
            }
            si += 1
        }
        return try outputValues.map { v in
            guard let t = values[v] else { throw KerasError(.format, "internal: output value \(v) missing") }
            return t
        }
    }
}

extension KerasError {
    /// One error holding several problems (each layer's), on one line.
    static func combining(_ problems: [KerasError]) -> KerasError {
        if problems.count == 1 { return problems[0] }
        let kind = problems.contains { $0.kind == .unsupported } ? Kind.unsupported : problems[0].kind
        return KerasError(kind, "\(problems.count) problems: " + problems.map(\.message).joined(separator: "; "))
    }
}
