import KConvOps

/// The operations of `OperationLayer` that reduce, rearrange or join tensors: `tf.reduce_sum`/
/// `keras.ops.sum` and the mean, max and min, `reshape`, `transpose`, `expand_dims`, `squeeze`,
/// `concat`, `stack`. The batch axis always stays where it is: an operation that would reduce, move or
/// reshape it is refused.
///
/// Canonical config keys: `axis` (reductions: null, an integer or a list; `expand_dims`,
/// `squeeze`, `concat`, `stack`: an integer or a list), `keepdims`, `initial` (must be null), `shape`
/// (`reshape`: every dimension, the batch's first, which must be -1), `axes` (`transpose`: the
/// permutation, batch first), `conjugate` (`transpose`: false).
enum ShapeFunction: Sendable {
    enum Reduce: String, Sendable { case mean, sum, max, min }

    case reduce(Reduce, axes: [Int]?, keepdims: Bool)
    /// The dimensions after the batch's, one of them possibly -1.
    case reshape([Int])
    /// The permutation of every axis (axis 0 first).
    case transpose([Int])
    case expandDims(Int)
    case squeeze([Int])
    /// The operands (call inputs) in order and the axis.
    case concat([Int], axis: Int)
    /// The operands (call inputs) in order and the new axis (of the result).
    case stack([Int], axis: Int)

    static let names = ["mean", "sum", "max", "min", "reshape", "transpose", "expand_dims", "squeeze", "concat", "stack"]

    /// The function `name` from the canonical config; nil for a name this type does not know.
    init?(_ name: String, config: LayerConfig, source: String) throws {
        func required(_ key: String) throws -> [Int] {
            guard let v = try config.intList(key) else { throw config.unsupported("\(source) without \(key)") }
            return v
        }
        switch name {
        case let n where Reduce(rawValue: n) != nil:
            if let initial = config["initial"], initial != .null { throw config.unsupported("\(source) with an initial value") }
            self = .reduce(Reduce(rawValue: n)!, axes: try config.intList("axis"), keepdims: try config.bool("keepdims", default: false))
        case "reshape":
            let shape = try required("shape")
            guard shape.first == -1, shape.dropFirst().filter({ $0 == -1 }).count <= 1, !shape.dropFirst().contains(where: { $0 < -1 }) else {
                throw config.unsupported("\(source) to \(shape), which does not keep the batch dimension first as -1")
            }
            self = .reshape(Array(shape.dropFirst()))
        case "transpose":
            guard config["conjugate"]?.boolValue != true else { throw config.unsupported("\(source) with conjugate=True") }
            let axes = try required("axes")
            guard axes.first == 0, axes.sorted() == Array(axes.indices) else {
                throw config.unsupported("\(source) with axes \(axes), which do not keep the batch axis first")
            }
            self = .transpose(axes)
        case "expand_dims":
            let axes = try required("axis")
            guard axes.count == 1 else { throw config.unsupported("\(source) over several axes") }
            self = .expandDims(axes[0])
        case "squeeze":
            self = .squeeze(try required("axis"))
        case "concat", "stack":
            let list = config["arguments"]?.arrayValue?.first?.arrayValue ?? []
            let operands = list.compactMap { $0["tensor"]?.intValue }
            guard config["arguments"]?.arrayValue?.count == 1, !operands.isEmpty, operands.count == list.count else {
                throw config.unsupported("\(source) of operands that are not all tensors")
            }
            let axis = try required("axis")
            guard axis.count == 1 else { throw config.unsupported("\(source) over several axes") }
            self = name == "concat" ? .concat(operands, axis: axis[0]) : .stack(operands, axis: axis[0])
        default:
            return nil
        }
    }

    /// Whether the function takes the call's one input (its first argument).
    var isUnary: Bool {
        switch self {
        case .concat, .stack: return false
        default: return true
        }
    }

    func outputShape(_ inputs: [Shape], layer: String, className: String) throws -> Shape {
        func refuse(_ what: String) -> KerasError { KerasError(.unsupported, "layer '\(layer)' (\(className)): \(what)") }
        /// The one input of every function but concat.
        func single() throws -> Shape {
            guard inputs.count == 1 else { throw KerasError(.shape, "layer '\(layer)' expects 1 input, got \(inputs.count)") }
            return inputs[0]
        }
        switch self {
        case let .reduce(kind, axes, keepdims):
            let shape = try single()
            let reduced = try ShapeFunction.reducedAxes(axes, rank: shape.count, kind: kind, layer: layer, className: className)
            return keepdims ? shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
                            : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
        case .reshape(let dims):
            let shape = try single()
            let known = shape.dropFirst().reduce(Optional(1)) { p, d in p.flatMap { p in d.map { p * $0 } } }
            let fixed = dims.filter { $0 != -1 }.reduce(1, *)
            guard let size = known else {
                if dims.contains(-1) { throw refuse("a reshape with -1 of an input with unknown dimensions") }
                return [nil] + dims.map { $0 }
            }
            if dims.contains(-1) {
                guard fixed > 0, size % fixed == 0 else { throw KerasError(.shape, "layer '\(layer)': cannot reshape \(shape.kerasDescription) to \(dims)") }
                return [nil] + dims.map { $0 == -1 ? size / fixed : $0 }
            }
            guard fixed == size else { throw KerasError(.shape, "layer '\(layer)': cannot reshape \(shape.kerasDescription) to \(dims)") }
            return [nil] + dims.map { $0 }
        case .transpose(let axes):
            let shape = try single()
            guard axes.count == shape.count else { throw KerasError(.shape, "layer '\(layer)': axes \(axes) for an input of rank \(shape.count)") }
            return axes.map { shape[$0] }
        case .expandDims(let axis):
            var shape = try single()
            let a = try ShapeFunction.newAxis(axis, rank: shape.count, layer: layer)
            guard a > 0 else { throw refuse("expand_dims before the batch axis") }
            shape.insert(1, at: a)
            return shape
        case .squeeze(let axes):
            let shape = try single()
            let resolved = Set(try axes.map { try resolvedAxis($0, rank: shape.count, layer: layer) })
            guard !resolved.contains(0) else { throw refuse("squeeze of the batch axis") }
            for a in resolved where shape[a] != 1 {
                throw KerasError(.shape, "layer '\(layer)': cannot squeeze axis \(a) of \(shape.kerasDescription), whose size is not 1")
            }
            return shape.indices.filter { !resolved.contains($0) }.map { shape[$0] }
        case let .concat(operands, axis):
            return try concatShape(inputs, operands: operands, axis: axis, layer: layer, refuse: refuse)
        case let .stack(operands, axis):
            // As a concatenation of the operands, each with a new axis of 1 at `axis`.
            let rank = try operands.map { k -> Int in
                guard k < inputs.count else { throw KerasError(.shape, "layer '\(layer)' has \(inputs.count) input(s), its operand is input \(k)") }
                return inputs[k].count
            }.first ?? 0
            let a = try ShapeFunction.newAxis(axis, rank: rank, layer: layer)
            guard a > 0 else { throw refuse("stack along the batch axis") }
            let widened = inputs.map { s -> Shape in var s = s; if s.count == rank { s.insert(1, at: a) }; return s }
            return try concatShape(widened, operands: operands, axis: a, layer: layer, refuse: refuse)
        }
    }

    /// The joined shape of the operands' shapes along `axis` (not the batch axis).
    private func concatShape(_ inputs: [Shape], operands: [Int], axis: Int, layer: String,
                             refuse: (String) -> KerasError) throws -> Shape {
        let shapes = try operands.map { k -> Shape in
            guard k < inputs.count else { throw KerasError(.shape, "layer '\(layer)' has \(inputs.count) input(s), its operand is input \(k)") }
            return inputs[k]
        }
        let rank = shapes[0].count
        let a = try resolvedAxis(axis, rank: rank, layer: layer)
        guard a > 0 else { throw refuse("concat along the batch axis") }
        var out = shapes[0]
        for s in shapes.dropFirst() {
            guard s.count == rank, s.indices.allSatisfy({ $0 == a || s[$0] == nil || out[$0] == nil || s[$0] == out[$0] }) else {
                throw KerasError(.shape, "layer '\(layer)': cannot concatenate \(shapes.map(\.kerasDescription)) along axis \(axis)")
            }
            out[a] = out[a].flatMap { x in s[a].map { x + $0 } }
        }
        return out
    }

    func run(_ inputs: [Tensor], layer: String, className: String) throws -> Tensor {
        let shape = try outputShape(inputs.map { $0.shape.map { Optional($0) } }, layer: layer, className: className)
        switch self {
        case let .reduce(kind, axes, _):
            let x = inputs[0]
            let reduced = try ShapeFunction.reducedAxes(axes, rank: x.rank, kind: kind, layer: layer, className: className)
            let scalars: [Float]
            switch kind {
            case .mean: scalars = Reduction.mean(x.scalars, shape: x.shape, axes: reduced)
            case .sum: scalars = Reduction.sum(x.scalars, shape: x.shape, axes: reduced)
            case .max: scalars = Reduction.max(x.scalars, shape: x.shape, axes: reduced)
            case .min: scalars = Reduction.min(x.scalars, shape: x.shape, axes: reduced)
            }
            return Tensor(uncheckedShape: shape.map { $0 ?? 0 }, scalars: scalars)
        case .reshape, .expandDims, .squeeze:
            // Row-major order is unchanged; the batch dimension is the input's.
            return Tensor(uncheckedShape: [inputs[0].shape[0]] + shape.dropFirst().map { $0 ?? 0 }, scalars: inputs[0].scalars)
        case .transpose(let axes):
            let (s, scalars) = Transpose.permute(inputs[0].scalars, shape: inputs[0].shape, permutation: axes)
            return Tensor(uncheckedShape: s, scalars: scalars)
        case let .concat(operands, axis):
            let parts = operands.map { (scalars: inputs[$0].scalars, shape: inputs[$0].shape) }
            let joined = Concatenation.join(parts, axis: try resolvedAxis(axis, rank: inputs[operands[0]].rank, layer: layer))
            return Tensor(uncheckedShape: joined.shape, scalars: joined.scalars)
        case let .stack(operands, axis):
            let a = try ShapeFunction.newAxis(axis, rank: inputs[operands[0]].rank, layer: layer)
            let parts = operands.map { k -> (scalars: [Float], shape: [Int]) in
                var s = inputs[k].shape
                s.insert(1, at: a)
                return (inputs[k].scalars, s)
            }
            let joined = Concatenation.join(parts, axis: a)
            return Tensor(uncheckedShape: joined.shape, scalars: joined.scalars)
        }
    }

    /// A new axis's position in a result of rank `rank + 1` (negative counts from its end).
    static func newAxis(_ axis: Int, rank: Int, layer: String) throws -> Int {
        try resolvedAxis(axis < 0 ? axis + rank + 1 : axis, rank: rank + 1, layer: layer)
    }

    /// The axes a reduction reduces; the batch axis must stay.
    static func reducedAxes(_ axes: [Int]?, rank: Int, kind: Reduce, layer: String, className: String) throws -> Set<Int> {
        guard let axes else {
            throw KerasError(.unsupported, "layer '\(layer)' (\(className)): a \(kind) over every axis, the batch axis included, is not supported")
        }
        let resolved = Set(try axes.map { try resolvedAxis($0, rank: rank, layer: layer) })
        guard !resolved.contains(0) else {
            throw KerasError(.unsupported, "layer '\(layer)' (\(className)): a \(kind) over the batch axis is not supported")
        }
        return resolved
    }
}

/// `split(x, …, axis)`: consecutive parts along an axis other than the batch's. tf_keras writes
/// `num_or_size_splits` (canonical `split_sizes`: a count of equal parts, or the parts' sizes with
/// at most one -1), Keras 3 `indices_or_sections` (canonical `split_indices`: a count of equal
/// parts, or the indices where parts start, as numpy's `split`).
struct SplitPlan: Sendable {
    enum Parts: Sendable {
        case equal(Int)
        case sizes([Int])
        case indices([Int])
    }

    let parts: Parts
    let axis: Int

    init(config: LayerConfig, source: String) throws {
        axis = try config.int("axis", default: 0)
        if let count = config["split_sizes"]?.intValue ?? config["split_indices"]?.intValue {
            guard count > 0 else { throw config.unsupported("\(source) into \(count) parts") }
            parts = .equal(count)
        } else if let sizes = try config.intList("split_sizes") {
            guard sizes.filter({ $0 == -1 }).count <= 1, !sizes.contains(where: { $0 < -1 }) else {
                throw config.unsupported("\(source) into sizes \(sizes)")
            }
            parts = .sizes(sizes)
        } else if let indices = try config.intList("split_indices") {
            parts = .indices(indices)
        } else {
            throw config.unsupported("\(source) without the number or sizes of its parts")
        }
    }

    /// The parts' sizes along an axis of `length`.
    private func sizes(_ length: Int, layer: String) throws -> [Int] {
        switch parts {
        case .equal(let n):
            guard length % n == 0 else { throw KerasError(.shape, "layer '\(layer)': an axis of \(length) does not split into \(n) equal parts") }
            return Array(repeating: length / n, count: n)
        case .sizes(let s):
            let known = s.filter { $0 != -1 }.reduce(0, +)
            let sizes = s.map { $0 == -1 ? length - known : $0 }
            guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == length else {
                throw KerasError(.shape, "layer '\(layer)': sizes \(s) do not split an axis of \(length)")
            }
            return sizes
        case .indices(let starts):
            // numpy: parts x[i_k : i_(k+1)], the indices clamped to the axis (negative from its end).
            let bounds = [0] + starts.map { min(max($0 < 0 ? $0 + length : $0, 0), length) } + [length]
            return zip(bounds, bounds.dropFirst()).map { max($1 - $0, 0) }
        }
    }

    func outputShapes(_ shape: Shape, layer: String) throws -> [Shape] {
        let a = try resolvedAxis(axis, rank: shape.count, layer: layer)
        guard a > 0 else { throw KerasError(.unsupported, "layer '\(layer)': a split along the batch axis is not supported") }
        guard let length = shape[a] else { throw KerasError(.unsupported, "layer '\(layer)': a split of an axis of unknown length") }
        return try sizes(length, layer: layer).map { var s = shape; s[a] = $0; return s }
    }

    func run(_ x: Tensor, layer: String) throws -> [Tensor] {
        let a = try resolvedAxis(axis, rank: x.rank, layer: layer)
        let sizes = try sizes(x.shape[a], layer: layer)
        return zip(Concatenation.split(x.scalars, shape: x.shape, axis: a, sizes: sizes), sizes).map { scalars, size in
            var shape = x.shape
            shape[a] = size
            return Tensor(uncheckedShape: shape, scalars: scalars)
        }
    }
}
