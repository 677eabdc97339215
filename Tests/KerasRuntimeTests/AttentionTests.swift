import Foundation
import Testing
@testable import KerasRuntime

/// Attention layers on tiny inputs whose expected outputs are written out with `exp`/`tanh` here.
@Suite struct AttentionTests {
    let e = exp(1.0)

    private func layer(_ className: String, _ values: [String: JSON], callKwargs: [String: JSON]? = nil,
                       inputs: [Shape], weights: [Tensor]?) throws -> any Layer {
        var config = values
        config["name"] = .string("att")
        if let callKwargs { config["call_kwargs"] = .array([.object(callKwargs)]) }
        var l = try LayerRegistry.make(LayerConfig(className: className, name: "att", values: config, version: KerasVersion("2.15.0")))
        var reader = weights.map { WeightReader(layerName: "att", stored: $0.enumerated().map { .init(name: "w\($0.offset)", tensor: $0.element) }) }
            ?? WeightReader(zerosFor: "att")
        try l.build(inputShapes: inputs, weights: &reader)
        try reader.finish()
        return l
    }

    private func expectClose(_ t: Tensor, _ expected: [Double], _ note: Comment? = nil) {
        #expect(t.count == expected.count, note)
        for (got, want) in zip(t.scalars, expected) {
            #expect(abs(Double(got) - want) <= 1e-5 * (1 + abs(want)), "\(got) vs \(want) \(note.map { "\($0)" } ?? "")")
        }
    }

    // q (1, 2, 2), k (1, 3, 2), v (1, 3, 1): q·kᵀ = [[1, 0, 1], [0, 1, 1]].
    let q = Tensor(uncheckedShape: [1, 2, 2], scalars: [1, 0, 0, 1])
    let k = Tensor(uncheckedShape: [1, 3, 2], scalars: [1, 0, 0, 1, 1, 1])
    let v = Tensor(uncheckedShape: [1, 3, 1], scalars: [1, 2, 4])
    let shapes: [Shape] = [[nil, 2, 2], [nil, 3, 1], [nil, 3, 2]]

    @Test func dotProductAttention() throws {
        let att = try layer("Attention", [:], inputs: shapes, weights: [])
        #expect(att.weights.isEmpty)
        #expect(try att.outputShapes(for: shapes) == [[nil, 2, 1]])
        let y = try att.call([q, v, k])
        // Row 0: softmax([1, 0, 1])·[1, 2, 4] = (e + 2 + 4e) / (2e + 1); row 1: softmax([0, 1, 1]).
        expectClose(y[0], [(5 * e + 2) / (2 * e + 1), (1 + 6 * e) / (2 * e + 1)])
        #expect(y[0].shape == [1, 2, 1])
    }

    @Test func useScaleMultipliesScores() throws {
        let att = try layer("Attention", ["use_scale": .bool(true)], inputs: shapes, weights: [Tensor(shape: [], scalars: [2])])
        #expect(att.parameterCounts.trainable == 1)
        let e2 = e * e
        expectClose(try att.call([q, v, k])[0], [(5 * e2 + 2) / (2 * e2 + 1), (1 + 6 * e2) / (2 * e2 + 1)])
    }

    @Test func keyDefaultsToValue() throws {
        // [q, v] with v (1, 3, 2) = k: same scores, output is softmax·v with 2 features.
        let att = try layer("Attention", [:], inputs: [[nil, 2, 2], [nil, 3, 2]], weights: [])
        let y = try att.call([q, k])[0]
        let d = 2 * e + 1
        // Row 0 weights [e, 1, e] / d, row 1 [1, e, e] / d, over value rows [1, 0], [0, 1], [1, 1].
        expectClose(y, [2 * e / d, (1 + e) / d, (1 + e) / d, 2 * e / d])
    }

    @Test func causalMaskAndScores() throws {
        let att = try layer("Attention", [:], callKwargs: ["use_causal_mask": .bool(true), "return_attention_scores": .bool(true)],
                            inputs: shapes, weights: [])
        #expect(try att.outputShapes(for: shapes) == [[nil, 2, 1], [nil, 2, 3]])
        let y = try att.call([q, v, k])
        // Row 0 sees step 0 only; row 1 sees steps 0, 1 with scores [0, 1].
        expectClose(y[0], [1, (1 + 2 * e) / (1 + e)])
        expectClose(y[1], [1, 0, 0, 1 / (1 + e), e / (1 + e), 0])
    }

    @Test func concatScores() throws {
        let s = 0.5, c = 1.5
        let att = try layer("Attention", ["use_scale": .bool(true), "score_mode": .string("concat")], inputs: shapes,
                            weights: [Tensor(shape: [], scalars: [Float(s)]), Tensor(shape: [], scalars: [Float(c)])])
        #expect(att.weights.map(\.name) == ["scale", "concat_score_weight"])
        let qs = [[1.0, 0], [0, 1]], ks = [[1.0, 0], [0, 1], [1, 1]], vs = [1.0, 2, 4]
        var expected: [Double] = []
        for qi in qs {
            let scores = ks.map { kj in c * zip(qi, kj).map { tanh(s * ($0 + $1)) }.reduce(0, +) }
            let w = scores.map { exp($0) }, total = w.reduce(0, +)
            expected.append(zip(w, vs).map { $0 * $1 }.reduce(0, +) / total)
        }
        expectClose(try att.call([q, v, k])[0], expected)
    }

    @Test func additiveAttention() throws {
        // Value (1, 3, 2) = k; `scale` has the value's feature count; scores Σ_d scale_d·tanh(q_d + k_d).
        let scale: [Double] = [0.5, -2]
        let att = try layer("AdditiveAttention", [:], inputs: [[nil, 2, 2], [nil, 3, 2]], weights: [Tensor(scale.map { Float($0) })])
        #expect(att.weights.map(\.name) == ["scale"])
        let qs = [[1.0, 0], [0, 1]], ks = [[1.0, 0], [0, 1], [1, 1]]
        var expected: [Double] = []
        for qi in qs {
            let scores = ks.map { kj in (0..<2).map { scale[$0] * tanh(qi[$0] + kj[$0]) }.reduce(0, +) }
            let w = scores.map { exp($0) }, total = w.reduce(0, +)
            for d in 0..<2 { expected.append(zip(w, ks).map { $0 * $1[d] }.reduce(0, +) / total) }
        }
        expectClose(try att.call([q, k])[0], expected)

        let plain = try layer("AdditiveAttention", ["use_scale": .bool(false)], inputs: shapes, weights: [])
        let vs = [1.0, 2, 4]
        expected = qs.map { qi in
            let w = ks.map { kj in exp(zip(qi, kj).map { tanh($0 + $1) }.reduce(0, +)) }
            return zip(w, vs).map { $0 * $1 }.reduce(0, +) / w.reduce(0, +)
        }
        expectClose(try plain.call([q, v, k])[0], expected)
    }

    @Test func masks() throws {
        let att = try layer("Attention", [:], inputs: shapes, weights: [])
        let queryMask = try Tensor(shape: [1, 2], scalars: [1, 0]), valueMask = try Tensor(shape: [1, 3], scalars: [1, 1, 0])
        let r = try att.call([q, v, k], masks: [queryMask, valueMask, nil])
        // Row 0 ignores step 2: softmax([1, 0])·[1, 2]; row 1 is zeroed by the query mask.
        expectClose(r.outputs[0], [(e + 2) / (e + 1), 0])
        #expect(r.masks == [queryMask])
    }

    @Test func multiHeadAttentionTwoHeads() throws {
        // dim 1, 2 heads of key_dim 1: head h projects q·wq[h], k·wk[h], v·wv[h]; output Σ_h wo[h]·O_h + b.
        let wq: [Double] = [1, 2], wk: [Double] = [1, 1], wv: [Double] = [1, -1], wo: [Double] = [1, 3], b = 0.25
        func t(_ x: [Double], _ shape: [Int]) throws -> Tensor { try Tensor(shape: shape, scalars: x.map { Float($0) }) }
        let shapes: [Shape] = [[nil, 2, 1], [nil, 3, 1]]
        let mha = try layer("MultiHeadAttention", ["num_heads": .number(2), "key_dim": .number(1)], inputs: shapes, weights: [
            t(wq, [1, 2, 1]), t([0, 0], [2, 1]), t(wk, [1, 2, 1]), t([0, 0], [2, 1]),
            t(wv, [1, 2, 1]), t([0, 0], [2, 1]), t(wo, [2, 1, 1]), t([b], [1]),
        ])
        #expect(mha.parameterCounts.trainable == 2 + 2 + 2 + 2 + 2 + 2 + 2 + 1)
        #expect(try mha.outputShapes(for: shapes) == [[nil, 2, 1]])
        let qs: [Double] = [0.5, -1], vs: [Double] = [1, 2, -1]
        let y = try mha.call([try t(qs, [1, 2, 1]), try t(vs, [1, 3, 1])])
        var expected: [Double] = []
        for qi in qs {
            var out = b
            for h in 0..<2 {
                let w = vs.map { exp(qi * wq[h] * $0 * wk[h]) }, total = w.reduce(0, +)
                out += wo[h] * zip(w, vs).map { $0 * $1 * wv[h] }.reduce(0, +) / total
            }
            expected.append(out)
        }
        expectClose(y[0], expected)
    }

    @Test func multiHeadAttentionScalesByKeyDim() throws {
        // key_dim 4, all-ones kernels, no bias: Q·K = 4qk, scaled by 1/√4 → scores 2qk; causal; scores returned.
        let ones4 = try Tensor(shape: [1, 1, 4], scalars: [1, 1, 1, 1])
        let shapes: [Shape] = [[nil, 2, 1], [nil, 2, 1]]
        let mha = try layer("MultiHeadAttention", ["num_heads": .number(1), "key_dim": .number(4), "value_dim": .number(1), "use_bias": .bool(false)],
                            callKwargs: ["use_causal_mask": .bool(true), "return_attention_scores": .bool(true)],
                            inputs: shapes, weights: [ones4, ones4, Tensor(shape: [1, 1, 1], scalars: [1]), Tensor(shape: [1, 1, 1], scalars: [1])])
        #expect(try mha.outputShapes(for: shapes) == [[nil, 2, 1], [nil, 1, 2, 2]])
        let x = try Tensor(shape: [1, 2, 1], scalars: [0.5, 1])
        let y = try mha.call([x, x])
        // Row 0 sees step 0 only; row 1: softmax([2·1·0.5, 2·1·1]) = softmax([1, 2]).
        let p0 = e / (e + e * e), p1 = e * e / (e + e * e)
        expectClose(y[0], [0.5, p0 * 0.5 + p1 * 1])
        expectClose(y[1], [1, 0, p0, p1])
    }

    @Test func multiHeadAttentionRejectsWhatItCannotRun() throws {
        let base: [String: JSON] = ["num_heads": .number(1), "key_dim": .number(2)]
        #expect(throws: KerasError.self) {
            _ = try layer("MultiHeadAttention", base, callKwargs: ["attention_mask": .object(["inputs": .array([.number(2)])])],
                          inputs: [[nil, 2, 1], [nil, 2, 1]], weights: [])
        }
        var axes = base
        axes["attention_axes"] = .array([.number(2)])
        #expect(throws: KerasError.self) {
            _ = try layer("MultiHeadAttention", axes, inputs: [[nil, 2, 3, 1], [nil, 2, 3, 1]], weights: [])
        }
        var gate = base
        gate["use_gate"] = .bool(true)
        #expect(throws: KerasError.self) {
            _ = try layer("MultiHeadAttention", gate, inputs: [[nil, 2, 1], [nil, 2, 1]], weights: [])
        }
        gate["use_gate"] = .bool(false)
        _ = try layer("MultiHeadAttention", gate, inputs: [[nil, 2, 1], [nil, 2, 1]], weights: nil)
        let mha = try layer("MultiHeadAttention", base, inputs: [[nil, 2, 1], [nil, 2, 1]], weights: nil)
        let x = try Tensor(shape: [1, 2, 1], scalars: [1, 2])
        #expect(throws: KerasError.self) { _ = try mha.call([x, x], masks: [try Tensor(shape: [1, 2], scalars: [1, 0]), nil]) }
    }
}
