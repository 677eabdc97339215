import Foundation
import Testing
import KConvOps

/// The small array operations, on inputs small enough that every expected value is arithmetic
/// written out in the test.
@Suite("Array operations")
struct ArrayOpsTests {
    @Test("broadcasting: shapes aligned on the right, size 1 stretches")
    func broadcast() throws {
        #expect(Broadcast.shape([2, 1, 3], [4, 1]) == [2, 4, 3])
        #expect(Broadcast.shape([2, 3], [4]) == nil)
        // (2, 1) + (3,) -> (2, 3): row i is a[i] + b.
        let r = try #require(Broadcast.apply([10, 20], shape: [2, 1], [1, 2, 3], shape: [3], +))
        #expect(r.shape == [2, 3])
        #expect(r.scalars == [11, 12, 13, 21, 22, 23])
        #expect(Broadcast.apply([1, 2], shape: [2], [1, 2, 3], shape: [3], +) == nil)
    }

    @Test("axis reductions group elements by their kept indices")
    func axisReduction() {
        // Shape (2, 3) reduced over axis 0: element (i, j) is in group j at position i.
        let plan = AxisReduction(shape: [2, 3], reduced: [0])
        #expect(plan.group == [0, 1, 2, 0, 1, 2])
        #expect(plan.position == [0, 0, 0, 1, 1, 1])
        #expect(plan.groupCount == 3 && plan.groupSize == 2)
        let kept = AxisReduction.keptIndex(shape: [2, 3], kept: [0])
        #expect((0..<6).map(kept) == [0, 0, 0, 1, 1, 1])
    }

    @Test("softmax: rows with the reciprocal, grouped, log-sum-exp, masked scores")
    func softmax() {
        var x: [Float] = [0, 0, 0, 0]
        Softmax.rows(&x, length: 2)
        #expect(x == [0.5, 0.5, 0.5, 0.5])
        // Over axis 0 of (2, 2): columns [0, ln 3] become [1/4, 3/4].
        var y: [Float] = [0, 1, Float(log(3.0)), 1]
        Softmax.grouped(&y, groups: AxisReduction(shape: [2, 2], reduced: [0]), logSumExp: false)
        #expect(abs(y[0] - 0.25) < 1e-6 && abs(y[2] - 0.75) < 1e-6 && y[1] == 0.5 && y[3] == 0.5)
        var z: [Float] = [1, 1, 1, 1]
        Softmax.logSumExpRows(&z, length: 4)
        #expect(z == [0.25, 0.25, 0.25, 0.25])
        #expect(Softmax.maskedScore(2, 0, offset: -1e9, replace: false) == 2 - 1e9)
        #expect(Softmax.maskedScore(2, 1, offset: -1e9, replace: false) == 2)
        #expect(Softmax.maskedScore(2, 0, offset: -1e9, replace: true) == -1e9)
        // Along axis 1 of (1, 2, 2): columns [0, ln 3] and [1, 1] become [1/4, 3/4] and [1/2, 1/2].
        let a = Softmax.along([0, 1, Float(log(3.0)), 1], shape: [1, 2, 2], axis: 1)
        #expect(abs(a[0] - 0.25) < 1e-6 && abs(a[2] - 0.75) < 1e-6 && a[1] == 0.5 && a[3] == 0.5)
        #expect(Softmax.along([0, 0, 5, 5], shape: [2, 2], axis: 1) == [0.5, 0.5, 0.5, 0.5])
    }

    @Test("batched matrix products: one GEMM per pair")
    func batchedProducts() {
        // [[1, 2]]·[[3], [4]] = [[11]]; [[1, 0]]·[[5], [6]] = [[5]].
        #expect(GEMM.batched([1, 2, 1, 0], [3, 4, 5, 6], batch: 2, m: 1, k: 2, n: 1) == [11, 5])
        // (1, 2, 2)·(1, 2, 1): [[1, 2], [3, 4]]·[[1], [1]] = [[3], [7]].
        #expect(GEMM.batched([1, 2, 3, 4], [1, 1], batch: 1, m: 2, k: 2, n: 1) == [3, 7])
    }

    @Test("concatenation along an inner axis")
    func concatenation() {
        // (2, 1) and (2, 2) along axis 1 -> (2, 3): rows [a0, b0, b1], [a1, b2, b3].
        let r = Concatenation.join([([1, 2], [2, 1]), ([3, 4, 5, 6], [2, 2])], axis: 1)
        #expect(r.shape == [2, 3])
        #expect(r.scalars == [1, 3, 4, 2, 5, 6])
    }

    @Test("batch dot and L2 normalisation")
    func batchDot() {
        // One sample: x (2, 2) = [[1, 2], [3, 4]] (p=2, k=2, q=1) times y (1, 2) = [5, 6] (r=1, k=2, s=1).
        let out = BatchDot.product([1, 2, 3, 4], [5, 6], batch: 1, p: 2, k: 2, q: 1, r: 1, s: 1)
        let expected: [Float] = [1 * 5 + 2 * 6, 3 * 5 + 4 * 6]
        #expect(out == expected)
        // [3, 4] has norm 5: [0.6, 0.8].
        let n = BatchDot.l2Normalized([3, 4], shape: [1, 2], axis: 1, inverseNormCap: 1e6)
        #expect(abs(n[0] - 0.6) < 1e-7 && abs(n[1] - 0.8) < 1e-7)
    }

    @Test("normalisations: folded affine, layer, unit and standardisation")
    func normalization() {
        // gamma 2, beta 1, mean 3, variance 4 - epsilon: m = 2/2 = 1, o = 1 - 3 = -2.
        let eps: Float = 0.25
        let (m, o) = Normalization.foldedAffine(gamma: [2], beta: [1], mean: [3], variance: [4 - eps], epsilon: eps)
        #expect(m == [1] && o == [-2])
        #expect(Normalization.affine([5, 7], shape: [2, 1], kept: [1], multiplier: m, offset: o) == [3, 5])
        // [1, 3]: mean 2, variance 1 -> [-1, 1] (epsilon 0).
        #expect(Normalization.layerNormalized([1, 3], shape: [1, 2], reduced: [1], epsilon: 0, gamma: nil, beta: nil,
                                              rmsScaling: false) == [-1, 1])
        #expect(Normalization.unitNormalized([3, 4], shape: [1, 2], reduced: [1], inverseNormCap: 1e6).map { ($0 * 10).rounded() } == [6, 8])
        #expect(Normalization.standardDeviations([4, 0]) == [2, 1e-7])
        #expect(Normalization.standardized([5], shape: [1, 1], kept: [1], mean: [1], scale: [2], invert: false) == [2])
        #expect(Normalization.standardized([2], shape: [1, 1], kept: [1], mean: [1], scale: [2], invert: true) == [5])
    }

    @Test("unary math functions and clip, NaN and the ends of their domains")
    func unaryMath() {
        func run(_ f: UnaryMath, _ x: [Float]) -> [Float] { var y = x; f.apply(&y); return y }
        #expect(run(.exp, [0, -200, 100]) == [1, 0, .infinity])
        #expect(abs(run(.exp, [1])[0] - 2.7182817) <= 2.4e-7)
        #expect(run(.log, [1, 0]) == [0, -.infinity] && run(.log, [-1])[0].isNaN)
        #expect(abs(run(.log, [2.7182817])[0] - 1) <= 1.2e-7)
        #expect(run(.sqrt, [4, 0.25, 0]) == [2, 0.5, 0] && run(.sqrt, [-1])[0].isNaN)
        #expect(run(.square, [-3, 0.5]) == [9, 0.25])
        #expect(run(.abs, [-2, 3, -0.0]) == [2, 3, 0] && run(.abs, [-0.0])[0].sign == .plus)
        #expect(run(.tanh, [0, 20, -20]) == [0, 1, -1])
        #expect(run(.sigmoid, [0, -200]) == [0.5, 0])
        let r = run(.relu, [-1, 2, .nan])
        #expect(r[0] == 0 && r[1] == 2 && r[2].isNaN)
        #expect(run(.exp, []) == [])
        var c: [Float] = [-2, 0.5, 3, .nan]
        UnaryMath.clip(&c, low: -1, high: 1)
        #expect(c[0] == -1 && c[1] == 0.5 && c[2] == 1 && c[3].isNaN)
    }

    @Test("masks, gathers and elementwise helpers")
    func masksAndGather() throws {
        #expect(Masks.nonZero([0, 2, -1]) == [0, 1, 1])
        #expect(Masks.booleans([0, 2]) == [false, true])
        // Rows of 2: the second row equals the mask value 0 and is masked.
        let m = Masks.masking([1, 0, 0, 0], rowLength: 2, rows: 2, value: 0)
        #expect(m.mask == [1, 0])
        #expect(m.output == [1, 0, 0, 0])
        let rows = try Gather.rows(of: [1, 2, 3, 4], rows: 2, width: 2, at: [1, 0.9]).get()
        #expect(rows == [3, 4, 1, 2])
        guard case .failure(let e) = Gather.rows(of: [1, 2], rows: 1, width: 2, at: [1]) else {
            Issue.record("index 1 of a 1-row table was accepted")
            return
        }
        #expect(e.index == 1)
        #expect(Elementwise.maximum(1, .nan).isNaN && Elementwise.minimum(1, 2) == 1)
        #expect([0, 3, -0.0, .nan].map { Elementwise.notEqual($0, 0) } == [0, 1, 0, 1])
        #expect([0, 3, -0.0, .nan].map { Elementwise.equal($0, 0) } == [1, 0, 1, 0])
        #expect(Elementwise.equal(.nan, .nan) == 0 && Elementwise.notEqual(.nan, .nan) == 1)
        var t: [Float] = [0.5, 2]
        Elementwise.thresholded(&t, theta: 1)
        #expect(t == [0, 2])
        #expect(Elementwise.parametricReLU(-2, 0.5) == -1 && Elementwise.parametricReLU(3, 0.5) == 3)
        #expect(Elementwise.scaledAndShifted([1, 2], channels: 2, scale: [2, 3], offset: [1]) == [3, 7])
    }

    @Test("attention of one query over two keys with equal scores averages the values")
    func attention() {
        // Scores q·k are 0 and 0: probabilities 1/2 each; output (1 + 3)/2.
        let r = Attention.attend(query: [0], key: [1, 2], value: [1, 3], blocks: 1, queries: 1, keys: 2, dim: 1,
                                 valueDim: 1, score: .dot(scale: nil), queryMask: nil, valueMask: nil,
                                 causal: false, maskedOffset: 1e9)
        #expect(r.probabilities == [0.5, 0.5])
        #expect(r.output == [2])
        // The second key masked: all weight on the first value.
        let masked = Attention.attend(query: [0], key: [1, 2], value: [1, 3], blocks: 1, queries: 1, keys: 2, dim: 1,
                                      valueDim: 1, score: .dot(scale: nil), queryMask: nil, valueMask: [true, false],
                                      causal: false, maskedOffset: 1e9)
        #expect(masked.output == [1])
    }
}
