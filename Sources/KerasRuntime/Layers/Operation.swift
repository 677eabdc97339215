import KConvOps

/// An operation recorded in a Keras graph as a layer: tf_keras' `TFOpLambda` / `SlicingOpLambda`
/// (`x + y`, `x * 0.5`, `tf.reduce_mean(x, axis=1)`, `x[:, -1]`) and Keras 3's op nodes
/// (`keras.src.ops.numpy.Add`, `GetItem`, `Mean` ...).
///
/// ConfigDecoder writes one canonical config for both generations (stored as is in `.kconv`):
///
/// - `keras_operation`: the operation as the file names it (`"tf.math.multiply"`,
///   `"keras.src.ops.numpy.Multiply"`), for messages;
/// - `function`: `add`, `subtract`, `multiply`, `divide`, `maximum`, `minimum`, `equal`, `not_equal`,
///   `cast`, `exp`, `log`, `sqrt`, `square`, `abs`, `tanh`, `sigmoid`, `relu`, `clip`, `getitem`,
///   `mean`, `sum`, `max`, `min`, `reshape`, `transpose`, `expand_dims`, `squeeze`, `concat`,
///   `softmax` or `matmul`; absent when kconv does not know the operation (then it is refused by name);
/// - `arguments`: the operands in call order, each `{"tensor": k}` (the call's k-th input) or a
///   number;
/// - `slices` (getitem): `{"index": i}`, `{"start", "stop", "step"}` (null for a missing end),
///   `{"ellipsis": true}` or `{"newaxis": true}`, one per item of the subscript;
/// - `axis`, `keepdims`, `shape`, `axes`...: the options of the reductions and shape functions
///   (`ShapeFunction` gives them);
/// - `dtype` (cast): the type cast to; kconv runs casts to `float32` only;
/// - `operand_dtypes`: the tensor operands' dtypes, written when one is a Keras 3 boolean (a
///   comparison's result); the other functions give the same values on 1 and 0 as Keras on booleans,
///   matmul is refused;
/// - `min`, `max` (clip): the bounds, numbers; `axis` (softmax): an integer, -1 when absent;
/// - `keywords`: an unknown operation's other arguments (kept for reference, never run).
///
/// Arithmetic is TensorFlow's float32 `x ⊕ y` with numpy broadcasting, operands in the order written.
/// Comparisons (`equal`, `not_equal`) give booleans, held as float32 1 and 0; a cast to float32
/// keeps a float32 tensor and turns such booleans into the same 1.0 and 0.0, so it copies.
struct OperationLayer: Layer {
    enum Operand: Sendable {
        case tensor(Int)
        case constant(Float)
    }

    enum Function: Sendable {
        case arithmetic(ArithmeticOperator, Operand, Operand)
        case getitem([SliceItem])
        /// Reductions, reshapes, transposes, new and squeezed axes, concatenation (`OperationShapes.swift`).
        case shaped(ShapeFunction)
        /// A cast to float32 (of float32 values or of booleans held as 1 and 0).
        case castToFloat
        /// `exp`, `log`, `sqrt`, `square`, `abs`, `tanh`, `sigmoid`, `relu`: TensorFlow's float32 results.
        case unary(UnaryMath)
        /// `tf.nn.softmax` along an axis other than the batch's.
        case softmax(axis: Int)
        /// `tf.matmul` of two tensors of equal rank ≥ 3 (the leading axes, batch first, matched pairwise).
        case matmul(Int, Int)
        /// `tf.clip_by_value` / `keras.ops.clip`: `maximum(minimum(x, high), low)`.
        case clip(low: Float, high: Float)
    }

    enum ArithmeticOperator: String, Sendable {
        case add, subtract, multiply, divide
        /// `tf.maximum` / `tf.minimum`: NaN where either operand is NaN.
        case maximum, minimum
        /// Comparisons: boolean results, 1 (true) or 0 (false).
        case equal, notEqual = "not_equal"

        var apply: (Float, Float) -> Float {
            switch self {
            case .add: return (+)
            case .subtract: return (-)
            case .multiply: return (*)
            case .divide: return (/)
            case .maximum: return Elementwise.maximum
            case .minimum: return Elementwise.minimum
            case .equal: return Elementwise.equal
            case .notEqual: return Elementwise.notEqual
            }
        }
    }

    let name: String
    let className: String
    let function: Function
    var weights: [Weight] { [] }

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        let source = config[LayerSpec.operationKey]?.stringValue ?? config.className
        guard let functionName = config["function"]?.stringValue else {
            throw KerasError(.unsupported, OperationLayer.unknownReason(config, source: source))
        }
        let arguments = config["arguments"]?.arrayValue ?? []
        func operand(_ i: Int) throws -> Operand {
            guard i < arguments.count else { throw config.unsupported("\(source) has \(arguments.count) operand(s), needs \(i + 1)") }
            if let k = arguments[i]["tensor"]?.intValue, k >= 0 { return .tensor(k) }
            if let v = arguments[i].doubleValue { return .constant(Float(v)) }
            throw config.unsupported("\(source): operand \(arguments[i].serialized.prefix(60)) is neither a tensor nor a number")
        }
        switch functionName {
        case "getitem":
            guard let items = config["slices"]?.arrayValue else { throw config.unsupported("\(source) has no slices") }
            function = .getitem(try items.map { try SliceItem(json: $0, config: config) })
        case let other where ShapeFunction.names.contains(other):
            function = .shaped(try ShapeFunction(other, config: config, source: source)!)
        case "cast":
            let dtype = config["dtype"]?.stringValue ?? "?"
            guard dtype == "float32" else { throw config.unsupported("\(source) to \(dtype) (kconv runs casts to float32)") }
            function = .castToFloat
        case "clip":
            guard let low = config["min"]?.doubleValue, let high = config["max"]?.doubleValue else {
                throw config.unsupported("\(source) with bounds that are not numbers")
            }
            function = .clip(low: Float(low), high: Float(high))
        case "softmax":
            function = .softmax(axis: try config.int("axis", default: -1))
        case "matmul":
            guard case .tensor(let a) = try operand(0), case .tensor(let b) = try operand(1), arguments.count == 2 else {
                throw config.unsupported("\(source) of operands that are not two tensors")
            }
            if config["operand_dtypes"]?.arrayValue?.contains(.string("bool")) == true {
                throw config.unsupported("\(source) of booleans (Keras gives a boolean product, which kconv does not compute)")
            }
            function = .matmul(a, b)
            return
        case let other where UnaryMath(rawValue: other) != nil:
            function = .unary(UnaryMath(rawValue: other)!)
        default:
            guard let op = ArithmeticOperator(rawValue: functionName) else {
                throw KerasError(.unsupported, OperationLayer.unknownReason(config, source: source))
            }
            let (a, b) = (try operand(0), try operand(1))
            if case .constant = a, case .constant = b { throw config.unsupported("\(source) of two constants") }
            function = .arithmetic(op, a, b)
        }
        if case .arithmetic = function { return }
        if case .shaped(let f) = function, !f.isUnary { return }
        guard arguments.count == 1, case .tensor(0) = try operand(0) else {
            throw config.unsupported("\(source) takes one tensor, the config gives \(arguments.count) operand(s)")
        }
    }

    /// The error for an operation kconv does not run.
    static func unknownReason(_ config: LayerConfig, source: String) -> String {
        switch config.className {
        case "TFOpLambda", "SlicingOpLambda":
            return LayerRegistry.unsupportedReason(config, function: source)
        default:
            return "layer '\(config.name)' is the Keras 3 operation \(source) (a Python operator or keras.ops call on Keras tensors), which kconv does not run"
        }
    }

    mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws {
        _ = try outputShapes(for: inputShapes)
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        switch function {
        case let .arithmetic(_, a, b):
            func shape(_ o: Operand) throws -> Shape {
                guard case .tensor(let k) = o else { return [] }
                guard k < inputShapes.count else { throw KerasError(.shape, "layer '\(name)' has \(inputShapes.count) input(s), its operand is input \(k)") }
                return inputShapes[k]
            }
            return [try Broadcast.shape(shape(a), shape(b), layer: name)]
        case .getitem(let items):
            return [try SlicePlan(items: items, shape: try single(inputShapes), layer: name).outputShape]
        case .shaped(let f):
            return [try f.outputShape(inputShapes, layer: name, className: className)]
        case .softmax(let axis):
            let shape = try single(inputShapes)
            guard try resolvedAxis(axis, rank: shape.count, layer: name) > 0 else {
                throw KerasError(.unsupported, "layer '\(name)' (\(className)): a softmax over the batch axis is not supported")
            }
            return [shape]
        case let .matmul(a, b):
            return [try matmulShape(inputShapes, a, b)]
        case .castToFloat, .unary, .clip:
            return [try single(inputShapes)]
        }
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        switch function {
        case let .arithmetic(op, a, b):
            func value(_ o: Operand) throws -> Tensor {
                switch o {
                case .constant(let c): return Tensor(uncheckedShape: [], scalars: [c])
                case .tensor(let k):
                    guard k < inputs.count else { throw KerasError(.invalidArgument, "layer '\(name)' has \(inputs.count) input(s), its operand is input \(k)") }
                    return inputs[k]
                }
            }
            return [try Broadcast.apply(value(a), value(b), layer: name, op.apply)]
        case .getitem(let items):
            let x = try single(inputs)
            let plan = try SlicePlan(items: items, shape: x.shape, layer: name)
            let scalars = Slicing.gather(x.scalars, shape: x.shape, starts: plan.starts, steps: plan.steps, counts: plan.counts)
            return [Tensor(uncheckedShape: plan.outputShape.map { $0 ?? 0 }, scalars: scalars)]
        case .shaped(let f):
            return [try f.run(inputs, layer: name, className: className)]
        case .softmax(let axis):
            let x = try single(inputs)
            _ = try outputShapes(for: [x.shape.map { Optional($0) }])
            let y = Softmax.along(x.scalars, shape: x.shape, axis: try resolvedAxis(axis, rank: x.rank, layer: name))
            return [Tensor(uncheckedShape: x.shape, scalars: y)]
        case let .matmul(a, b):
            let shape = try matmulShape(inputs.map { $0.shape.map { Optional($0) } }, a, b).map { $0 ?? 0 }
            let (x, y) = (inputs[a], inputs[b])
            let r = x.rank
            let c = GEMM.batched(x.scalars, y.scalars, batch: x.shape[..<(r - 2)].reduce(1, *), m: x.shape[r - 2], k: x.shape[r - 1], n: y.shape[r - 1])
            return [Tensor(uncheckedShape: shape, scalars: c)]
        case .castToFloat:
            return [try single(inputs)]
        case .unary(let f):
            var x = try single(inputs)
            f.apply(&x.scalars)
            return [x]
        case let .clip(low, high):
            var x = try single(inputs)
            UnaryMath.clip(&x.scalars, low: low, high: high)
            return [x]
        }
    }

    /// `a @ b`: equal ranks ≥ 3, equal leading dimensions, `(…, m, k) @ (…, k, n)` → `(…, m, n)`.
    private func matmulShape(_ inputs: [Shape], _ a: Int, _ b: Int) throws -> Shape {
        guard a < inputs.count, b < inputs.count else { throw KerasError(.shape, "layer '\(name)' has \(inputs.count) input(s), its operands are inputs \(a) and \(b)") }
        let (x, y) = (inputs[a], inputs[b])
        let r = x.count
        func same(_ p: Int?, _ q: Int?) -> Bool { p == nil || q == nil || p == q }
        guard r >= 3, y.count == r, zip(x[..<(r - 2)], y[..<(r - 2)]).allSatisfy(same), same(x[r - 1], y[r - 2]) else {
            throw KerasError(.unsupported, "layer '\(name)' (\(className)): matmul of shapes \(x.kerasDescription) and \(y.kerasDescription) is not supported (kconv multiplies batches of matrices of equal rank)")
        }
        return zip(x[..<(r - 2)], y[..<(r - 2)]).map { $0 ?? $1 } + [x[r - 2], y[r - 1]]
    }

    private func single<T>(_ inputs: [T]) throws -> T {
        guard inputs.count == 1 else { throw KerasError(.shape, "layer '\(name)' expects 1 input, got \(inputs.count)") }
        return inputs[0]
    }
}
