import Foundation
import KConvOps

// Keras attention layers: `Attention` (Luong dot-product), `AdditiveAttention` (Bahdanau) and
// `MultiHeadAttention`, at inference (dropout is the identity).
//
// Call options that Keras stores with the call rather than the layer (`use_causal_mask`,
// `return_attention_scores`, an `attention_mask` tensor) reach the layer through the canonical
// config's `call_kwargs`: one object per call of the layer, written by the importer.

extension LayerConfig {
    /// A call option (`call_kwargs` entry), which must be the same in every call of the layer.
    func callOption(_ key: String) throws -> JSON? {
        guard let calls = self["call_kwargs"]?.arrayValue else { return nil }
        let values = calls.map { $0[key] ?? .null }
        guard let first = values.first else { return nil }
        guard values.allSatisfy({ $0 == first }) else {
            throw unsupported("it is called several times with different '\(key)' arguments")
        }
        return first == .null ? nil : first
    }

    /// A boolean call option, or `fallback` when the calls do not set it.
    func callFlag(_ key: String, default fallback: Bool) throws -> Bool {
        guard let v = try callOption(key) else { return fallback }
        guard let b = v.boolValue else {
            throw KerasError(.format, "layer '\(name)' (\(className)): call argument '\(key)' should be true or false, found \(v.serialized)")
        }
        return b
    }
}

/// TF's additive mask value in the attention layers: masked scores get `-1e9` added (`scores - 1e9` in Float32).
let attentionMaskedOffset: Float = 1.0e9

/// Keras `Attention` (dot-product, Luong-style) and `AdditiveAttention` (Bahdanau-style).
///
/// Inputs `[query, value]` or `[query, value, key]` (key defaults to value):
/// query `(batch, Tq, dim)`, value `(batch, Tv, dim_v)`, key `(batch, Tv, dim)`; more leading
/// dimensions are allowed and must agree. Output `(batch, Tq, dim_v)` and, with
/// `return_attention_scores`, the softmax weights `(batch, Tq, Tv)` as a second output.
///
/// Scores `(batch, Tq, Tv)`:
/// - `Attention`, `score_mode="dot"`: `q·kᵀ`, times the scalar `scale` weight if `use_scale`;
/// - `Attention`, `score_mode="concat"`: `concat_score_weight · Σ_d tanh(scale·(q_d + k_d))`;
/// - `AdditiveAttention`: `Σ_d scale_d · tanh(q_d + k_d)` (`scale` has shape `(dim,)` if `use_scale`).
///
/// Masked positions (value mask, causal mask) get `-1e9` added before the softmax; a query mask
/// zeroes the output rows and is passed on as the output mask, as in Keras' `BaseDenseAttention`.
/// Weights in Keras' order: `scale` (if `use_scale`), then `concat_score_weight` (concat mode).
struct DenseAttention: Layer {
    enum Score: Sendable { case dot, concat, additive }

    let name: String
    let className: String
    let score: Score
    let useScale, causal, returnScores: Bool
    private(set) var scale: Tensor?
    private(set) var concatScoreWeight: Tensor?

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        if config.className == "AdditiveAttention" {
            score = .additive
            useScale = try config.bool("use_scale", default: true)
        } else {
            switch try config.string("score_mode", default: "dot") {
            case "dot": score = .dot
            case "concat": score = .concat
            case let other: throw config.unsupported("score_mode '\(other)' is not supported (Keras has dot and concat)")
            }
            useScale = try config.bool("use_scale", default: false)
        }
        // `causal` is the config option of TF ≤ 2.10; later releases pass `use_causal_mask` to the call.
        causal = try config.bool("causal", default: false) || config.callFlag("use_causal_mask", default: false)
        returnScores = try config.callFlag("return_attention_scores", default: false)
        if try config.callOption("mask") != nil {
            throw config.unsupported("an explicit 'mask' call argument is not supported")
        }
    }

    var weights: [Weight] {
        (scale.map { [Weight("scale", $0)] } ?? []) + (concatScoreWeight.map { [Weight("concat_score_weight", $0)] } ?? [])
    }

    /// Checks `[query, value(, key)]` shapes; returns query, value and key shapes.
    private func check(_ shapes: [Shape]) throws -> (q: Shape, v: Shape, k: Shape) {
        guard shapes.count == 2 || shapes.count == 3 else {
            throw KerasError(.shape, "layer '\(name)' expects [query, value] or [query, value, key], got \(shapes.count) input(s)")
        }
        let q = shapes[0], v = shapes[1], k = shapes.count == 3 ? shapes[2] : shapes[1]
        func compatible(_ a: Int?, _ b: Int?) -> Bool { a == nil || b == nil || a == b }
        guard q.count >= 3, v.count == q.count, k.count == q.count,
              zip(q.dropLast(2), v.dropLast(2)).allSatisfy(compatible), zip(k.dropLast(), v.dropLast()).allSatisfy(compatible),
              compatible(q.last ?? nil, k.last ?? nil) else {
            throw KerasError(.shape, "layer '\(name)' got incompatible query \(q.kerasDescription), value \(v.kerasDescription) and key \(k.kerasDescription)")
        }
        return (q, v, k)
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let s = try check(inputShapes)
        switch score {
        case .additive:
            // Keras sizes `scale` by the value's features; it multiplies tanh(q + k), so they must agree.
            let dim = try ShapeCheck(layer: name).known(s.v.last ?? nil, "value feature")
            if useScale, let dq = s.q.last ?? nil, dim != dq {
                throw KerasError(.unsupported, "layer '\(name)' (AdditiveAttention): use_scale needs value and query with the same feature count, got \(dim) and \(dq)")
            }
            scale = useScale ? try reader.take("scale", shape: [dim]) : nil
        case .dot, .concat:
            scale = useScale ? try reader.take("scale", shape: []) : nil
            concatScoreWeight = score == .concat ? try reader.take("concat_score_weight", shape: []) : nil
        }
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        let s = try check(inputShapes)
        let out = Array(s.q.dropLast()) + [s.v.last ?? nil]
        return returnScores ? [out, Array(s.q.dropLast()) + [s.v[s.v.count - 2]]] : [out]
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        try call(inputs, masks: inputs.map { _ in nil }).outputs
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        _ = try check(inputs.map { $0.shape.map { Optional($0) } })
        let q = inputs[0], v = inputs[1], k = inputs.count == 3 ? inputs[2] : inputs[1]
        let tq = q.shape[q.rank - 2], tv = v.shape[v.rank - 2], dim = q.shape[q.rank - 1], dv = v.shape[v.rank - 1]
        let blocks = q.count / max(tq * dim, 1)
        guard v.count == blocks * tv * dv, k.count == blocks * tv * dim,
              scale.map({ $0.count == (score == .additive ? dim : 1) }) ?? true else {
            throw KerasError(.shape, "layer '\(name)' got query \(q.shape), value \(v.shape), key \(k.shape), which do not fit its weights")
        }
        let queryMask = try maskValues(masks.first ?? nil, blocks: blocks, steps: tq, what: "query")
        let valueMask = try maskValues(masks.count > 1 ? masks[1] : nil, blocks: blocks, steps: tv, what: "value")

        let scaleValues = scale?.scalars ?? []
        let scoring: KConvOps.Attention.Score
        switch score {
        case .dot: scoring = .dot(scale: scaleValues.first)
        case .concat: scoring = .concat(scale: scaleValues.first, weight: concatScoreWeight?.scalars.first ?? 1)
        case .additive: scoring = .additive(scale: scaleValues)
        }
        let (out, probabilities) = KConvOps.Attention.attend(
            query: q.scalars, key: k.scalars, value: v.scalars, blocks: blocks, queries: tq, keys: tv, dim: dim,
            valueDim: dv, score: scoring, queryMask: queryMask, valueMask: valueMask, causal: causal,
            maskedOffset: attentionMaskedOffset)
        var outputs = [Tensor(uncheckedShape: Array(q.shape.dropLast()) + [dv], scalars: out)]
        if returnScores {
            outputs.append(Tensor(uncheckedShape: Array(q.shape.dropLast()) + [tv], scalars: probabilities))
        }
        let outMask = masks.first ?? nil
        return (outputs, outputs.map { _ in outMask })
    }

    /// A `(batch, steps)` mask as booleans, or nil; only rank-3 inputs carry masks.
    private func maskValues(_ mask: Tensor?, blocks: Int, steps: Int, what: String) throws -> [Bool]? {
        guard let mask else { return nil }
        guard mask.count == blocks * steps else {
            throw KerasError(.shape, "layer '\(name)': the \(what) mask has shape \(mask.shape), expected (\(blocks), \(steps))")
        }
        return Masks.booleans(mask.scalars)
    }
}

/// Keras `MultiHeadAttention` (tf.keras / Keras 3), without masks.
///
/// Inputs `[query, value]` or `[query, value, key]`: query `(batch, T..., dim_q)`, value
/// `(batch, S..., dim_v)`, key `(batch, S..., dim_k)` (key defaults to value). Attention runs over
/// all the `T...`/`S...` positions (the default `attention_axes`).
///
/// Weights in Keras' order (EinsumDense layers `query`, `key`, `value`, `attention_output`):
/// query kernel `(dim_q, heads, key_dim)` + bias `(heads, key_dim)`, key kernel
/// `(dim_k, heads, key_dim)` + bias, value kernel `(dim_v, heads, value_dim)` + bias
/// `(heads, value_dim)`, output kernel `(heads, value_dim, out...)` + bias `(out...)`, where `out...`
/// is `output_shape` or `dim_q`; biases only with `use_bias`.
///
/// `Q = query·Wq + bq` scaled by `1/√key_dim`, `K`, `V` likewise; per head
/// `P = softmax(Q·Kᵀ)` over the key positions (causal positions masked with `-1e9` when the call
/// used `use_causal_mask`), `O = P·V`; output `Σ_{h,e} O[h,e]·Wo[h,e] + bo` of shape
/// `(batch, T..., out...)`. With `return_attention_scores` the second output is `P`,
/// `(batch, heads, T..., S...)`.
struct MultiHeadAttention: Layer {
    let name: String
    var className: String { "MultiHeadAttention" }
    let heads: Int
    let keyDim: Int
    let valueDim: Int
    let useBias: Bool
    /// `output_shape` when the config sets it (trailing output dimensions).
    let outputDims: [Int]?
    let attentionAxes: [Int]?
    let causal: Bool
    let returnScores: Bool
    private(set) var weights: [Weight] = []

    init(config: LayerConfig) throws {
        name = config.name
        heads = try config.int("num_heads")
        keyDim = try config.int("key_dim")
        valueDim = try config.int("value_dim", default: keyDim)
        guard heads > 0, keyDim > 0, valueDim > 0 else {
            throw config.unsupported("num_heads, key_dim and value_dim must be positive")
        }
        useBias = try config.bool("use_bias", default: true)
        if try config.bool("use_gate", default: false) {
            // Keras ≥ 3.14: a sigmoid-gated EinsumDense `gate` multiplies the attention output.
            throw config.unsupported("use_gate=True (gated attention) is not supported")
        }
        if let o = config["output_shape"] {
            if let i = o.intValue {
                outputDims = [i]
            } else if let a = o.arrayValue, !a.isEmpty, a.allSatisfy({ ($0.intValue ?? 0) > 0 }) {
                outputDims = a.compactMap(\.intValue)
            } else {
                throw config.unsupported("output_shape \(o.serialized) is not supported")
            }
        } else {
            outputDims = nil
        }
        if let axes = config["attention_axes"] {
            if let i = axes.intValue {
                attentionAxes = [i]
            } else if let a = axes.arrayValue, a.allSatisfy({ $0.intValue != nil }) {
                attentionAxes = a.compactMap(\.intValue)
            } else {
                throw config.unsupported("attention_axes \(axes.serialized) is not supported")
            }
        } else {
            attentionAxes = nil
        }
        causal = try config.callFlag("use_causal_mask", default: false)
        returnScores = try config.callFlag("return_attention_scores", default: false)
        if try config.callOption("attention_mask") != nil {
            throw config.unsupported("an 'attention_mask' argument is not supported")
        }
    }

    /// The checked shapes: query, value, key, and the output's trailing dimensions.
    private func check(_ shapes: [Shape]) throws -> (q: Shape, v: Shape, k: Shape, out: [Int]) {
        guard shapes.count == 2 || shapes.count == 3 else {
            throw KerasError(.shape, "layer '\(name)' expects query and value (and key), got \(shapes.count) input(s)")
        }
        let q = shapes[0], v = shapes[1], k = shapes.count == 3 ? shapes[2] : shapes[1]
        func compatible(_ a: Int?, _ b: Int?) -> Bool { a == nil || b == nil || a == b }
        guard q.count >= 3, v.count == q.count, k.count == q.count,
              zip(k.dropLast(), v.dropLast()).allSatisfy(compatible), compatible(q[0], v[0]) else {
            throw KerasError(.shape, "layer '\(name)' got incompatible query \(q.kerasDescription), value \(v.kerasDescription) and key \(k.kerasDescription)")
        }
        let all = Array(1..<(q.count - 1))
        if let attentionAxes, attentionAxes != all {
            throw KerasError(.unsupported, "layer '\(name)' (MultiHeadAttention): attention_axes \(attentionAxes) is not supported; kconv attends over all axes between batch and features (\(all))")
        }
        if causal && q.count != 3 {
            throw KerasError(.unsupported, "layer '\(name)' (MultiHeadAttention): use_causal_mask needs rank-3 inputs")
        }
        let dimQ = try ShapeCheck(layer: name).known(q.last ?? nil, "query feature")
        return (q, v, k, outputDims ?? [dimQ])
    }

    mutating func build(inputShapes: [Shape], weights reader: inout WeightReader) throws {
        let s = try check(inputShapes)
        let check = ShapeCheck(layer: name)
        let dimQ = try check.known(s.q.last ?? nil, "query feature")
        let dimV = try check.known(s.v.last ?? nil, "value feature")
        let dimK = try check.known(s.k.last ?? nil, "key feature")
        var w: [Weight] = []
        for (part, dim, size) in [("query", dimQ, keyDim), ("key", dimK, keyDim), ("value", dimV, valueDim)] {
            w.append(Weight("\(part)/kernel", try reader.take("\(part)/kernel", shape: [dim, heads, size])))
            if useBias { w.append(Weight("\(part)/bias", try reader.take("\(part)/bias", shape: [heads, size]))) }
        }
        w.append(Weight("attention_output/kernel", try reader.take("attention_output/kernel", shape: [heads, valueDim] + s.out)))
        if useBias { w.append(Weight("attention_output/bias", try reader.take("attention_output/bias", shape: s.out))) }
        weights = w
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        let s = try check(inputShapes)
        let out = Array(s.q.dropLast()) + s.out.map { Optional($0) }
        guard returnScores else { return [out] }
        return [out, [s.q[0], heads] + Array(s.q.dropFirst().dropLast()) + Array(s.v.dropFirst().dropLast())]
    }

    func call(_ inputs: [Tensor], masks: [Tensor?]) throws -> (outputs: [Tensor], masks: [Tensor?]) {
        guard masks.allSatisfy({ $0 == nil }) else {
            throw KerasError(.unsupported, "layer '\(name)' (MultiHeadAttention): inputs with a Keras mask are not supported")
        }
        let outputs = try call(inputs)
        return (outputs, outputs.map { _ in nil })
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        let s = try check(inputs.map { $0.shape.map { Optional($0) } })
        let q = inputs[0], v = inputs[1], k = inputs.count == 3 ? inputs[2] : inputs[1]
        let batch = q.shape[0]
        let dimQ = q.shape[q.rank - 1], dimV = v.shape[v.rank - 1], dimK = k.shape[k.rank - 1]
        let t = q.count / max(batch * dimQ, 1), sLen = v.count / max(batch * dimV, 1)
        let outCount = s.out.reduce(1, *)
        let stride = useBias ? 2 : 1
        guard weights.count == 4 * stride, weights[0].tensor.shape == [dimQ, heads, keyDim],
              weights[stride].tensor.shape == [dimK, heads, keyDim], weights[2 * stride].tensor.shape == [dimV, heads, valueDim],
              v.shape[0] == batch, k.shape[0] == batch, k.count == batch * sLen * dimK else {
            throw KerasError(.shape, "layer '\(name)' got query \(q.shape), value \(v.shape), key \(k.shape), which do not fit its weights")
        }
        func project(_ x: Tensor, rows: Int, dim: Int, part: Int, size: Int) -> [Float] {
            GEMM.multiply(x.scalars, weights[part * stride].tensor.scalars, m: rows, k: dim, n: heads * size,
                          bias: useBias ? weights[part * stride + 1].tensor.scalars : nil)
        }
        // (batch·T, heads·key_dim), (batch·S, heads·key_dim), (batch·S, heads·value_dim).
        var qp = project(q, rows: batch * t, dim: dimQ, part: 0, size: keyDim)
        let kp = project(k, rows: batch * sLen, dim: dimK, part: 1, size: keyDim)
        let vp = project(v, rows: batch * sLen, dim: dimV, part: 2, size: valueDim)
        let factor = Float(1.0 / Double(keyDim).squareRoot())
        Elementwise.multiply(&qp, by: factor)
        let (context, scores) = KConvOps.Attention.multiHead(
            query: qp, key: kp, value: vp, batch: batch, heads: heads, queries: t, keys: sLen, keyDim: keyDim,
            valueDim: valueDim, causal: causal, logSumExp: s.q.count > 3, maskedOffset: attentionMaskedOffset)
        let out = GEMM.multiply(context, weights[3 * stride].tensor.scalars, m: batch * t, k: heads * valueDim, n: outCount,
                                bias: useBias ? weights[3 * stride + 1].tensor.scalars : nil)
        var outputs = [Tensor(uncheckedShape: Array(q.shape.dropLast()) + s.out, scalars: out)]
        if returnScores {
            let shape = [batch, heads] + Array(q.shape.dropFirst().dropLast()) + Array(v.shape.dropFirst().dropLast())
            outputs.append(Tensor(uncheckedShape: shape, scalars: scores))
        }
        return outputs
    }
}
