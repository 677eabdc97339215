import Foundation
import KConvOps

/// The shape rule of Keras' merge layers (unknown dimensions stay unknown, unlike `Broadcast.shape`).
extension Broadcast {
    /// The broadcast shape of sample shapes (batch excluded) as Keras' merge layers infer it; nil
    /// stays unknown. Throws when two known dimensions are incompatible.
    static func sampleShape(_ a: Shape, _ b: Shape, layer: String) throws -> Shape {
        let (long, short) = a.count >= b.count ? (a, b) : (b, a)
        var out = Array(long.prefix(long.count - short.count))
        for (i, j) in zip(long.suffix(short.count), short) {
            if i == nil || j == nil { out.append(nil) }
            else if i == 1 { out.append(j) }
            else if j == 1 || i == j { out.append(i) }
            else {
                throw KerasError(.shape, "layer '\(layer)': inputs have incompatible shapes \(a.kerasDescription) and \(b.kerasDescription)")
            }
        }
        return out
    }
}

/// The Keras mask of an elementwise merge: Keras 2 ANDs the masks present (nil when none is);
/// Keras 3 ORs them, and gives no mask unless every input has one.
private func mergedMask(_ masks: [Tensor?], or: Bool, layer: String) throws -> Tensor? {
    let present = masks.compactMap { $0 }
    guard var mask = present.first, !or || present.count == masks.count else { return nil }
    for m in present.dropFirst() {
        mask = try Broadcast.apply(mask, m, layer: layer, or ? Elementwise.or : Elementwise.and)
    }
    return mask
}

/// Keras' elementwise merge layers: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`.
///
/// Inputs of any shapes that broadcast: as in Keras, a lower-rank input first gets size-1 axes
/// inserted after its batch axis (`(batch, d)` is read as `(batch, 1, d)` next to a rank-3 input),
/// then numpy broadcasting applies. The inputs are combined left to right (`Subtract` takes exactly
/// two; `Average` is the sum divided by the input count). The output mask follows the writing
/// Keras' `compute_mask` (`KerasVersion.mergeMasksCombineWithOr`).
struct ElementwiseMerge: Layer {
    enum Operation: String, Sendable {
        case add = "Add", subtract = "Subtract", multiply = "Multiply"
        case average = "Average", maximum = "Maximum", minimum = "Minimum"
    }

    let name: String
    let operation: Operation
    /// Keras 3's OR of the input masks instead of Keras 2's AND.
    let masksCombineWithOr: Bool
    var className: String { operation.rawValue }
    var weights: [Weight] { [] }

    init(config: LayerConfig) throws {
        name = config.name
        guard let op = Operation(rawValue: config.className) else {
            throw config.unsupported("is not an elementwise merge layer")
        }
        operation = op
        masksCombineWithOr = config.version.mergeMasksCombineWithOr
    }

    private func checkCount(_ n: Int) throws {
        if operation == .subtract, n != 2 {
            throw KerasError(.shape, "layer '\(name)' (Subtract) needs exactly 2 inputs, got \(n)")
        }
        guard n >= 1 else { throw KerasError(.shape, "layer '\(name)' needs at least 1 input") }
    }

    mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws {
        _ = try outputShapes(for: inputShapes)
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        try checkCount(inputShapes.count)
        guard inputShapes.allSatisfy({ !$0.isEmpty }) else {
            throw KerasError(.shape, "layer '\(name)' needs inputs with a batch dimension")
        }
        var sample = inputShapes[0].sampleShape
        for s in inputShapes.dropFirst() { sample = try Broadcast.sampleShape(sample, s.sampleShape, layer: name) }
        let batches = Set(inputShapes.compactMap { $0[0] })
        return [[batches.count == 1 ? batches.first : nil] + sample]
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try checkCount(inputs.count)
        let rank = inputs.map(\.rank).max() ?? 0
        // Keras' `_reshape_required`: insert axes after the batch axis up to the highest rank.
        let expanded = try inputs.map { x -> Tensor in
            guard x.rank >= 1 else { throw KerasError(.shape, "layer '\(name)' needs inputs with a batch dimension") }
            if x.rank == rank { return x }
            return Tensor(uncheckedShape: [x.shape[0]] + Array(repeating: 1, count: rank - x.rank) + x.shape.dropFirst(),
                          scalars: x.scalars)
        }
        var out = expanded[0]
        for x in expanded.dropFirst() {
            switch operation {
            case .add, .average: out = try Broadcast.apply(out, x, layer: name, +)
            case .subtract: out = try Broadcast.apply(out, x, layer: name, -)
            case .multiply: out = try Broadcast.apply(out, x, layer: name, *)
            case .maximum: out = try Broadcast.apply(out, x, layer: name, Elementwise.maximum)
            case .minimum: out = try Broadcast.apply(out, x, layer: name, Elementwise.minimum)
            }
        }
        if operation == .average { Elementwise.divide(&out.scalars, by: Float(inputs.count)) }
        return [out]
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        (try call(inputs), [try mergedMask(masks, or: masksCombineWithOr, layer: name)])
    }
}

/// Keras `Concatenate`: joins inputs along `axis` (default -1, negative counts from the end).
///
/// All other dimensions must agree. Masks (`(batch, time)` for `(batch, time, features)` inputs):
/// along an axis before the last the masks are concatenated too, an input without a mask
/// contributing ones. Along the last axis Keras 2 ANDs the masks present (`all` over the joined
/// masks, an unmasked input's ones never vetoing), while Keras 3 ORs them (`any`, so an unmasked
/// input makes every step valid) — each version's `compute_mask`.
struct Concatenate: Layer {
    let name: String
    var className: String { "Concatenate" }
    let axis: Int
    /// Keras 3's `any` instead of Keras 2's `all` when masks meet along the last axis.
    let masksCombineWithOr: Bool
    var weights: [Weight] { [] }

    init(config: LayerConfig) throws {
        name = config.name
        axis = try config.int("axis", default: -1)
        masksCombineWithOr = config.version.mergeMasksCombineWithOr
    }

    mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws {
        _ = try outputShapes(for: inputShapes)
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        guard let first = inputShapes.first else { throw KerasError(.shape, "layer '\(name)' needs at least 1 input") }
        let rank = first.count
        guard inputShapes.allSatisfy({ $0.count == rank }) else {
            throw KerasError(.shape, "layer '\(name)': inputs of different ranks \(inputShapes.map(\.kerasDescription)) cannot be concatenated")
        }
        let a = try resolvedAxis(axis, rank: rank, layer: name)
        // Keras takes every other dimension from the first input (unknown ones stay unknown).
        var out = first
        for s in inputShapes.dropFirst() {
            for d in 0..<rank where d != a {
                if let x = first[d], let y = s[d], x != y {
                    throw KerasError(.shape, "layer '\(name)' needs inputs with matching shapes except along axis \(axis), got \(inputShapes.map(\.kerasDescription).joined(separator: ", "))")
                }
            }
            if let x = out[a], let y = s[a] { out[a] = x + y } else { out[a] = nil }
        }
        return [out]
    }

    /// Concatenates row-major tensors of equal rank along axis `a`.
    static func concatenate(_ xs: [Tensor], axis a: Int, layer: String) throws -> Tensor {
        guard let first = xs.first else { throw KerasError(.shape, "layer '\(layer)' needs at least 1 input") }
        for x in xs where x.rank != first.rank || (0..<x.rank).contains(where: { $0 != a && x.shape[$0] != first.shape[$0] }) {
            throw KerasError(.shape, "layer '\(layer)': cannot concatenate shapes \(xs.map(\.shape)) along axis \(a)")
        }
        let joined = Concatenation.join(xs.map { ($0.scalars, $0.shape) }, axis: a)
        return Tensor(uncheckedShape: joined.shape, scalars: joined.scalars)
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        guard let first = inputs.first else { throw KerasError(.shape, "layer '\(name)' needs at least 1 input") }
        return [try Concatenate.concatenate(inputs, axis: resolvedAxis(axis, rank: first.rank, layer: name), layer: name)]
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        let outputs = try call(inputs)
        guard masks.contains(where: { $0 != nil }), let first = inputs.first else { return (outputs, [nil]) }
        let a = try resolvedAxis(axis, rank: first.rank, layer: name)
        let parts = zip(inputs, masks).map { x, m in m ?? Tensor(uncheckedShape: Array(x.shape.dropLast()),
                                                               scalars: Array(repeating: 1, count: x.count / max(x.shape.last ?? 1, 1))) }
        if a < first.rank - 1 { return (outputs, [try Concatenate.concatenate(parts, axis: a, layer: name)]) }
        // Keras 2 ANDs the masks present; Keras 3 ORs all, an unmasked input's ones included.
        return (outputs, [try mergedMask(masksCombineWithOr ? parts : masks, or: masksCombineWithOr, layer: name)])
    }
}

/// Keras `Dot`: `batch_dot` of two inputs, summing the products along `axes` (one axis per input).
///
/// The output holds, per sample, the first input's remaining axes followed by the second input's
/// (e.g. `(batch, m, k)·(batch, n, k)` with `axes=2` → `(batch, m, n)`); a rank-1 result becomes
/// `(batch, 1)`. `normalize=True` first L2-normalises both inputs along their dot axes
/// (`x · rsqrt(sum(x²))`, the inverse norm capped at 1e6, 1e7 in Keras 3). Negative axes count from the end. No output mask.
struct Dot: Layer {
    let name: String
    var className: String { "Dot" }
    let axes: (Int, Int)
    let normalize: Bool
    /// The largest inverse norm `normalize` uses: 1e6 in Keras 2 (`rsqrt(max(s, 1e-12))`), 1e7 in
    /// Keras 3 (`min(rsqrt(s), 1/epsilon)` with `epsilon = 1e-7`).
    let inverseNormCap: Float
    var weights: [Weight] { [] }

    init(config: LayerConfig) throws {
        name = config.name
        inverseNormCap = config.version.major >= 3 ? 1e7 : 1e6
        if let a = config["axes"]?.intValue {
            axes = (a, a)
        } else {
            let pair = try config.ints("axes", count: 2)
            axes = (pair[0], pair[1])
        }
        normalize = try config.bool("normalize", default: false)
    }

    /// The dot axes for inputs of the given ranks (Keras: a negative axis is taken modulo the rank).
    private func resolved(_ r1: Int, _ r2: Int) throws -> (Int, Int) {
        let a1 = axes.0 < 0 ? ((axes.0 % r1) + r1) % r1 : axes.0
        let a2 = axes.1 < 0 ? ((axes.1 % r2) + r2) % r2 : axes.1
        guard a1 >= 1, a1 < r1, a2 >= 1, a2 < r2 else {
            throw KerasError(.shape, "layer '\(name)': axes (\(axes.0), \(axes.1)) are invalid for inputs of rank \(r1) and \(r2)")
        }
        return (a1, a2)
    }

    mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws {
        _ = try outputShapes(for: inputShapes)
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        guard inputShapes.count == 2 else { throw KerasError(.shape, "layer '\(name)' (Dot) needs exactly 2 inputs, got \(inputShapes.count)") }
        var s1 = inputShapes[0], s2 = inputShapes[1]
        let (a1, a2) = try resolved(s1.count, s2.count)
        if let x = s1[a1], let y = s2[a2], x != y {
            throw KerasError(.shape, "layer '\(name)': dot axes have sizes \(x) and \(y) (shapes \(s1.kerasDescription), \(s2.kerasDescription))")
        }
        s1.remove(at: a1)
        s2.remove(at: a2)
        s2.removeFirst()
        let out = s1 + s2
        return [out.count == 1 ? out + [1] : out]
    }

    /// `x` L2-normalised along axis `a`, the inverse norm capped at `inverseNormCap`.
    private func l2Normalized(_ x: Tensor, axis a: Int) -> Tensor {
        Tensor(uncheckedShape: x.shape, scalars: BatchDot.l2Normalized(x.scalars, shape: x.shape, axis: a, inverseNormCap: inverseNormCap))
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == 2 else { throw KerasError(.shape, "layer '\(name)' (Dot) needs exactly 2 inputs, got \(inputs.count)") }
        var x = inputs[0], y = inputs[1]
        guard x.rank >= 2, y.rank >= 2, x.shape[0] == y.shape[0] else {
            throw KerasError(.shape, "layer '\(name)' cannot take the dot product of shapes \(x.shape) and \(y.shape)")
        }
        let (a1, a2) = try resolved(x.rank, y.rank)
        guard x.shape[a1] == y.shape[a2] else {
            throw KerasError(.shape, "layer '\(name)': dot axes have sizes \(x.shape[a1]) and \(y.shape[a2])")
        }
        if normalize {
            x = l2Normalized(x, axis: a1)
            y = l2Normalized(y, axis: a2)
        }
        // Per sample: x viewed as (p, k, q) and y as (r, k, s) → out (p, q, r, s).
        let batch = x.shape[0], k = x.shape[a1]
        let p = x.shape[1..<a1].reduce(1, *), q = x.shape[(a1 + 1)...].reduce(1, *)
        let r = y.shape[1..<a2].reduce(1, *), s = y.shape[(a2 + 1)...].reduce(1, *)
        let out = BatchDot.product(x.scalars, y.scalars, batch: batch, p: p, k: k, q: q, r: r, s: s)
        var shape = Array(x.shape[..<a1]) + x.shape[(a1 + 1)...] + y.shape[1..<a2] + y.shape[(a2 + 1)...]
        if shape.count == 1 { shape.append(1) }
        return [Tensor(uncheckedShape: shape, scalars: out)]
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        (try call(inputs), [nil])
    }
}
