import KConvOps

/// An operation recorded in a Keras graph as a layer: tf_keras' `TFOpLambda` / `SlicingOpLambda`
/// (`x + y`, `x * 0.5`, `tf.reduce_mean(x, axis=1)`, `x[:, -1]`) and Keras 3's op nodes
/// (`keras.src.ops.numpy.Add`, `GetItem`, `Mean` ...).
///
/// ConfigDecoder writes one canonical config for both generations (stored as is in `.kconv`):
///
/// - `keras_operation`: the operation as the file names it (`"tf.math.multiply"`,
///   `"keras.src.ops.numpy.Multiply"`), for messages;
/// - `function`: `add`, `subtract`, `multiply`, `divide`, `floor_divide`, `maximum`, `minimum`,
///   `equal`, `not_equal`, `greater`, `greater_equal`, `less`, `less_equal`, `where`, `cast`, `exp`,
///   `log`, `sqrt`, `square`, `abs`, `negative`, `tanh`, `sigmoid`, `relu`, `erf`, `clip`, `getitem`,
///   `mean`, `sum`, `max`, `min`, `reshape`, `transpose`, `expand_dims`, `squeeze`, `concat`,
///   `stack`, `split`, `one_hot`, `softmax` or `matmul`; absent when kconv does not know the
///   operation (then it is refused by name);
/// - `arguments`: the operands in call order, each `{"tensor": k}` (the call's k-th input) or a
///   number (a list of them for `concat` and `stack`);
/// - `slices` (getitem): `{"index": i}`, `{"start", "stop", "step"}` (null for a missing end),
///   `{"ellipsis": true}` or `{"newaxis": true}`, one per item of the subscript;
/// - `axis`, `keepdims`, `shape`, `axes`, `split_sizes` / `split_indices`...: the options of the
///   reductions and shape functions (`ShapeFunction`, `SplitPlan` give them);
/// - `dtype` (cast, one_hot): the result's type: float32, an integer type or bool;
/// - `depth`, `on_value`, `off_value` (one_hot);
/// - `operand_dtypes`: the tensor operands' dtypes (`LogicalDtype`), written when one is not
///   float32: integers and booleans are held as float32 whole numbers and 1/0, and decide how
///   floor division, casts and reductions behave;
/// - `min`, `max` (clip): the bounds, numbers; `axis` (softmax): an integer, -1 when absent;
/// - `keywords`: an unknown operation's other arguments (kept for reference, never run).
///
/// Arithmetic is TensorFlow's float32 `x ⊕ y` with numpy broadcasting, operands in the order written.
/// Comparisons give booleans, held as float32 1 and 0. Results of an integer type are checked to
/// stay where float32 holds them exactly (`LogicalDtype.checkedIntegers`).
struct OperationLayer: Layer {
    enum Operand: Sendable {
        case tensor(Int)
        case constant(Float)
    }

    enum Function: Sendable {
        case arithmetic(ArithmeticOperator, Operand, Operand)
        /// `where(condition, x, y)`: `x` where the condition is nonzero (true), else `y`, broadcast.
        case select(Operand, Operand, Operand)
        case getitem([SliceItem])
        /// Reductions, reshapes, transposes, new and squeezed axes, concatenation, stacking (`OperationShapes.swift`).
        case shaped(ShapeFunction)
        /// `split`: one result per part.
        case split(SplitPlan)
        /// A cast to float32, an integer type (toward zero) or bool (nonzero is true).
        case cast(LogicalDtype)
        /// `exp`, `log`, `sqrt`, `square`, `abs`, `negative`, `tanh`, `sigmoid`, `relu`, `erf`.
        case unary(UnaryMath)
        /// `tf.nn.softmax` along an axis other than the batch's.
        case softmax(axis: Int)
        /// `tf.matmul` of two tensors of equal rank ≥ 3 (the leading axes, batch first, matched pairwise).
        case matmul(Int, Int)
        /// `tf.clip_by_value` / `keras.ops.clip`: `maximum(minimum(x, high), low)`.
        case clip(low: Float, high: Float)
        /// `one_hot(indices, depth)`: a new axis of `depth` at `axis` (-1: last).
        case oneHot(depth: Int, on: Float, off: Float, axis: Int)
    }

    enum ArithmeticOperator: String, Sendable {
        case add, subtract, multiply, divide
        /// `floor(x / y)`: of the float32 quotient for floats, exact for integers.
        case floorDivide = "floor_divide"
        /// `tf.maximum` / `tf.minimum`: NaN where either operand is NaN.
        case maximum, minimum
        /// Comparisons: boolean results, 1 (true) or 0 (false); false where an operand is NaN
        /// (but for `not_equal`).
        case equal, notEqual = "not_equal", greater, greaterEqual = "greater_equal", less, lessEqual = "less_equal"

        /// The elementwise function, for operands of the given type.
        func apply(integers: Bool) -> (Float, Float) -> Float {
            switch self {
            case .add: return (+)
            case .subtract: return (-)
            case .multiply: return (*)
            case .divide: return (/)
            case .floorDivide:
                if integers { return Elementwise.integerFloorDivide }
                return Elementwise.floorDivide
            case .maximum: return Elementwise.maximum
            case .minimum: return Elementwise.minimum
            case .equal: return Elementwise.equal
            case .notEqual: return Elementwise.notEqual
            case .greater: return Elementwise.greater
            case .greaterEqual: return Elementwise.greaterEqual
            case .less: return Elementwise.less
            case .lessEqual: return Elementwise.lessEqual
            }
        }
    }

    let name: String
    let className: String
    let function: Function
    /// The operation as the file names it, for messages.
    let source: String
    /// The tensor operands' types, in call-input order.
    let operandDtypes: [LogicalDtype]
    /// The results' type.
    let resultDtype: LogicalDtype
    var weights: [Weight] { [] }

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        let source = config[LayerSpec.operationKey]?.stringValue ?? config.className
        self.source = source
        guard let functionName = config["function"]?.stringValue else {
            throw KerasError(.unsupported, OperationLayer.unknownReason(config, source: source))
        }
        operandDtypes = try (config["operand_dtypes"]?.arrayValue ?? []).map {
            guard let d = LogicalDtype(keras: $0) else { throw config.unsupported("\(source) of a \($0.serialized) tensor (kconv computes float32, integer and boolean tensors)") }
            return d
        }
        guard let result = LogicalDtype.result(of: functionName, config: config.values, operands: operandDtypes) else {
            throw config.unsupported("\(source) to \(config["dtype"]?.serialized ?? "?"), a dtype kconv does not compute (it computes float32, integer types and bool)")
        }
        resultDtype = result
        let integers = operandDtypes.contains { $0.isInteger }
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
            if other == "mean", integers, source.hasPrefix("tf.") {
                throw config.unsupported("\(source) of integers (TensorFlow's integer mean truncates; kconv does not compute it)")
            }
            function = .shaped(try ShapeFunction(other, config: config, source: source)!)
        case "split":
            function = .split(try SplitPlan(config: config, source: source))
        case "cast":
            function = .cast(result)
        case "clip":
            guard let low = config["min"]?.doubleValue, let high = config["max"]?.doubleValue else {
                throw config.unsupported("\(source) with bounds that are not numbers")
            }
            function = .clip(low: Float(low), high: Float(high))
        case "softmax":
            function = .softmax(axis: try config.int("axis", default: -1))
        case "one_hot":
            guard config["sparse"]?.boolValue != true else { throw config.unsupported("\(source) with sparse=True") }
            let depth = try config.int("depth")
            guard depth >= 0 else { throw config.unsupported("\(source) of depth \(depth)") }
            function = .oneHot(depth: depth, on: Float(try config.double("on_value", default: 1)),
                               off: Float(try config.double("off_value", default: 0)), axis: try config.int("axis", default: -1))
        case "matmul":
            guard case .tensor(let a) = try operand(0), case .tensor(let b) = try operand(1), arguments.count == 2 else {
                throw config.unsupported("\(source) of operands that are not two tensors")
            }
            if operandDtypes.contains(where: { $0 != .float32 }) {
                throw config.unsupported("\(source) of \(operandDtypes.map(\.description).joined(separator: " and ")) tensors (kconv multiplies float32 matrices)")
            }
            function = .matmul(a, b)
            return
        case "where":
            guard arguments.count == 3 else { throw config.unsupported("\(source) takes a condition and two values, the config gives \(arguments.count) operand(s)") }
            guard case .tensor = try operand(0) else { throw config.unsupported("\(source) with a constant condition") }
            function = .select(try operand(0), try operand(1), try operand(2))
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
            return
        }
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
        func shape(_ o: Operand) throws -> Shape {
            guard case .tensor(let k) = o else { return [] }
            guard k < inputShapes.count else { throw KerasError(.shape, "layer '\(name)' has \(inputShapes.count) input(s), its operand is input \(k)") }
            return inputShapes[k]
        }
        switch function {
        case let .arithmetic(_, a, b):
            return [try Broadcast.shape(shape(a), shape(b), layer: name)]
        case let .select(c, x, y):
            return [try Broadcast.shape(Broadcast.shape(shape(c), shape(x), layer: name), shape(y), layer: name)]
        case .getitem(let items):
            return [try SlicePlan(items: items, shape: try single(inputShapes), layer: name).outputShape]
        case .shaped(let f):
            return [try f.outputShape(inputShapes, layer: name, className: className)]
        case .split(let plan):
            return try plan.outputShapes(try single(inputShapes), layer: name)
        case .softmax(let axis):
            let shape = try single(inputShapes)
            guard try resolvedAxis(axis, rank: shape.count, layer: name) > 0 else {
                throw KerasError(.unsupported, "layer '\(name)' (\(className)): a softmax over the batch axis is not supported")
            }
            return [shape]
        case let .matmul(a, b):
            return [try matmulShape(inputShapes, a, b)]
        case let .oneHot(depth, _, _, axis):
            var shape = try single(inputShapes)
            let a = try oneHotAxis(axis, rank: shape.count)
            shape.insert(depth, at: a)
            return [shape]
        case .cast, .unary, .clip:
            return [try single(inputShapes)]
        }
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try run(inputs).map { t in
            var t = t
            t.scalars = try resultDtype.checkedIntegers(t.scalars, layer: name, operation: source)
            return t
        }
    }

    private func run(_ inputs: [Tensor]) throws -> [Tensor] {
        func value(_ o: Operand) throws -> Tensor {
            switch o {
            case .constant(let c): return Tensor(uncheckedShape: [], scalars: [c])
            case .tensor(let k):
                guard k < inputs.count else { throw KerasError(.invalidArgument, "layer '\(name)' has \(inputs.count) input(s), its operand is input \(k)") }
                return inputs[k]
            }
        }
        switch function {
        case let .arithmetic(op, a, b):
            let integers = resultDtype.isInteger
            let divisor = try value(b)
            if op == .floorDivide, integers, divisor.scalars.contains(0) {
                throw KerasError(.invalidArgument, "layer '\(name)' (\(source)): integer division by zero")
            }
            return [try Broadcast.apply(value(a), divisor, layer: name, op.apply(integers: integers))]
        case let .select(c, x, y):
            let (c, x, y) = (try value(c), try value(x), try value(y))
            guard let cx = Broadcast.shape(c.shape, x.shape), let shape = Broadcast.shape(cx, y.shape) else {
                throw KerasError(.shape, "layer '\(name)': cannot broadcast shapes \(c.shape), \(x.shape) and \(y.shape)")
            }
            return [OperationLayer.select(c, x, y, shape: shape)]
        case .getitem(let items):
            let x = try single(inputs)
            let plan = try SlicePlan(items: items, shape: x.shape, layer: name)
            let scalars = Slicing.gather(x.scalars, shape: x.shape, starts: plan.starts, steps: plan.steps, counts: plan.counts)
            return [Tensor(uncheckedShape: plan.outputShape.map { $0 ?? 0 }, scalars: scalars)]
        case .shaped(let f):
            return [try f.run(inputs, layer: name, className: className)]
        case .split(let plan):
            return try plan.run(try single(inputs), layer: name)
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
        case .cast(let dtype):
            var x = try single(inputs)
            x.scalars = dtype.cast(x.scalars)
            return [x]
        case .unary(let f):
            var x = try single(inputs)
            f.apply(&x.scalars)
            return [x]
        case let .clip(low, high):
            var x = try single(inputs)
            UnaryMath.clip(&x.scalars, low: low, high: high)
            return [x]
        case let .oneHot(depth, on, off, axis):
            let x = try single(inputs)
            let a = try oneHotAxis(axis, rank: x.rank)
            let scalars = OneHot.encode(x.scalars, outer: x.shape[..<a].reduce(1, *), inner: x.shape[a...].reduce(1, *),
                                        depth: depth, on: on, off: off)
            var shape = x.shape
            shape.insert(depth, at: a)
            return [Tensor(uncheckedShape: shape, scalars: scalars)]
        }
    }

    /// `where`: each operand stretched to the result's shape, then chosen element by element.
    private static func select(_ c: Tensor, _ x: Tensor, _ y: Tensor, shape: [Int]) -> Tensor {
        let (c, x, y) = (Broadcast.expand(c.scalars, shape: c.shape, to: shape),
                         Broadcast.expand(x.scalars, shape: x.shape, to: shape),
                         Broadcast.expand(y.scalars, shape: y.shape, to: shape))
        return Tensor(uncheckedShape: shape, scalars: c.indices.map { c[$0] != 0 ? x[$0] : y[$0] })
    }

    /// Where one_hot's new axis goes in a result of rank `rank + 1`; never before the batch axis.
    private func oneHotAxis(_ axis: Int, rank: Int) throws -> Int {
        let a = axis == -1 ? rank : try resolvedAxis(axis, rank: rank + 1, layer: name)
        guard a > 0 else { throw KerasError(.unsupported, "layer '\(name)' (\(className)): one_hot's new axis before the batch axis is not supported") }
        return a
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
