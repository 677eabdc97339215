import Testing
@testable import KerasRuntime

private func compare(_ ours: [Float], _ expected: [Float], shape: [Int]? = nil, tolerance: Float = 1e-5) throws -> Comparison {
    let shape = shape ?? [ours.count]
    return try Comparison(
        ours: Tensor(shape: shape, scalars: ours), expected: Tensor(shape: shape, scalars: expected), tolerance: tolerance
    )
}

@Suite("ULP distance")
struct ComparisonULPTests {
    @Test("hand-computed distances")
    func distances() {
        let one: Float = 1
        #expect(Comparison.ulpDistance(one, one) == 0)
        #expect(Comparison.ulpDistance(one, one.nextUp) == 1)
        #expect(Comparison.ulpDistance(one.nextUp.nextUp, one) == 2)
        #expect(Comparison.ulpDistance(one, one.nextDown) == 1)
        #expect(Comparison.ulpDistance(-0.0, 0.0) == 0)
        #expect(Comparison.ulpDistance(.leastNonzeroMagnitude, -.leastNonzeroMagnitude) == 2)
        #expect(Comparison.ulpDistance(-.leastNonzeroMagnitude, 0) == 1)
        // 1.0 is 0x3F80_0000; -1.0 mirrors it below zero.
        #expect(Comparison.ulpDistance(1, -1) == 2 * 0x3F80_0000)
        #expect(Comparison.ulpDistance(2, 2.5) == 0x20_0000)
        #expect(Comparison.ulpDistance(.greatestFiniteMagnitude, .infinity) == 1)
        #expect(Comparison.ulpDistance(-.infinity, .infinity) == 2 * 0x7F80_0000)
        #expect(Comparison.ulpDistance(.nan, 1) == nil)
        #expect(Comparison.ulpDistance(1, .nan) == nil)
    }
}

@Suite("Comparison")
struct ComparisonTests {
    @Test("identical tensors pass with zero error")
    func identical() throws {
        let c = try compare([1, -2, 3.5], [1, -2, 3.5])
        #expect(c.passed)
        #expect(c.maxAbsoluteError == 0)
        #expect(c.maxRelativeError == 0)
        #expect(c.maxULPDistance == 0)
        #expect(c.failingCount == 0)
        #expect(c.worstIndex == [0])
        #expect(c.firstFailure == nil)
        #expect(c.count == 3)
        #expect(c.report == "max abs 0, max rel 0, max ULP 0; 0 of 3 elements outside tolerance 1e-05")
    }

    @Test("hand-computed abs, rel and ULP errors")
    func handComputed() throws {
        // Errors: 0, 0.5 (rel 0.5/2.5 = 0.2, 0x20_0000 ULP), 1 (rel 1/2 = 0.5, 0x40_0000 ULP).
        let c = try compare([1, 2, 3], [1, 2.5, 2], tolerance: 0.1)
        #expect(c.maxAbsoluteError == 1)
        #expect(c.maxRelativeError == 0.5)
        #expect(c.maxULPDistance == 0x40_0000)
        #expect(c.worst == Comparison.Element(index: [2], ours: 3, expected: 2))
        // Bounds 0.1 * (1 + 2.5) = 0.35 and 0.1 * (1 + 2) = 0.3: both fail.
        #expect(c.failingCount == 2)
        #expect(c.firstFailure == Comparison.Element(index: [1], ours: 2, expected: 2.5))
        #expect(!c.passed)
    }

    @Test("the worst element's multi-index is in C order")
    func multiIndex() throws {
        var ours = [Float](repeating: 0, count: 24)
        ours[1 * 12 + 0 * 4 + 3] = 0.25  // Index [1, 0, 3] of shape [2, 3, 4].
        ours[5] = 0.125
        let c = try compare(ours, [Float](repeating: 0, count: 24), shape: [2, 3, 4], tolerance: 0.2)
        #expect(c.worstIndex == [1, 0, 3])
        #expect(c.maxAbsoluteError == 0.25)
        #expect(c.failingCount == 1)
        #expect(c.firstFailure?.index == [1, 0, 3])
        #expect(Comparison.multiIndex(flat: 23, shape: [2, 3, 4]) == [1, 2, 3])
        #expect(Comparison.multiIndex(flat: 0, shape: []) == [])
    }

    @Test("relative error divides by |ref|, or by the smallest normal float when ref is tiny")
    func relative() throws {
        #expect(try compare([-3], [-4]).maxRelativeError == 0.25)
        let tiny: Float = 1e-30
        let c = try compare([tiny], [0])
        #expect(c.maxRelativeError == Float(Double(tiny) / Double(Float.leastNormalMagnitude)))
        #expect(c.maxAbsoluteError == tiny)
        #expect(c.passed)
        #expect(try compare([0], [-0.0]).maxRelativeError == 0)
    }

    @Test("an element passes when |ours - ref| <= T * (1 + |ref|), boundary included")
    func toleranceBoundary() throws {
        // ref 1, T 0.5: bound exactly 1.
        #expect(try compare([2], [1], tolerance: 0.5).passed)
        #expect(try compare([0], [1], tolerance: 0.5).passed)
        #expect(try !compare([Float(2).nextUp], [1], tolerance: 0.5).passed)
        // ref -4, T 0.25: bound exactly 1.25.
        #expect(try compare([-2.75], [-4], tolerance: 0.25).passed)
        #expect(try compare([-5.25], [-4], tolerance: 0.25).passed)
        #expect(try !compare([Float(-5.25).nextDown], [-4], tolerance: 0.25).passed)
        // ref 0: bound exactly T.
        let t: Float = 1e-5
        #expect(try compare([t], [0], tolerance: t).passed)
        #expect(try !compare([t.nextUp], [0], tolerance: t).passed)
        // T 0: only equal values pass; 0 and -0 are equal.
        #expect(try compare([-0.0], [0], tolerance: 0).passed)
        #expect(try !compare([Float(1).nextUp], [1], tolerance: 0).passed)
        #expect(Comparison.passes(2, 1, tolerance: 0.5))
        #expect(!Comparison.passes(Float(2).nextUp, 1, tolerance: 0.5))
    }

    @Test("NaN passes only against NaN at the same position")
    func nanRules() throws {
        let both = try compare([.nan, 1, .nan], [.nan, 1, .nan])
        #expect(both.passed)
        #expect(both.sharedNaNCount == 2)
        #expect(both.ourNaNCount == 2)
        #expect(both.expectedNaNCount == 2)
        #expect(both.nanMismatchCount == 0)
        #expect(both.maxAbsoluteError == 0)
        #expect(both.worstIndex == [1])
        #expect(both.report.contains("2 NaN in both (propagated as in Keras)"))

        let oursOnly = try compare([.nan, 1, 2], [0, 1, .nan])
        #expect(!oursOnly.passed)
        #expect(oursOnly.failingCount == 2)
        #expect(oursOnly.nanMismatchCount == 2)
        #expect(oursOnly.ourNaNCount == 1)
        #expect(oursOnly.expectedNaNCount == 1)
        #expect(oursOnly.sharedNaNCount == 0)
        #expect(oursOnly.maxAbsoluteError == 0)  // The maxima skip NaN positions.
        #expect(oursOnly.maxULPDistance == 0)
        #expect(oursOnly.firstFailure?.index == [0])
        #expect(oursOnly.report.contains("1 NaN only in ours, 1 NaN only in expected"))

        let allNaN = try compare([.nan], [.nan])
        #expect(allNaN.passed)
        #expect(allNaN.worst == nil)
    }

    @Test("infinities must match exactly")
    func infinities() throws {
        let same = try compare([.infinity, -.infinity], [.infinity, -.infinity])
        #expect(same.passed)
        #expect(same.maxAbsoluteError == 0)
        #expect(same.maxULPDistance == 0)

        let different = try compare([1, .infinity, .greatestFiniteMagnitude, 5], [1, -.infinity, .infinity, .infinity], tolerance: 1)
        #expect(!different.passed)
        #expect(different.failingCount == 3)
        #expect(different.infinityMismatchCount == 3)
        #expect(different.maxAbsoluteError == .infinity)
        #expect(different.worstIndex == [1])
        #expect(different.report.contains("3 infinity mismatches"))
    }

    @Test("huge finite differences do not overflow the pass test")
    func hugeValues() throws {
        // |max - (-max)| = 2·max: beyond Float's range, so the test runs in Double.
        let c = try compare([.greatestFiniteMagnitude], [-.greatestFiniteMagnitude], tolerance: 1)
        #expect(!c.passed)
        #expect(c.maxAbsoluteError == .infinity)
        #expect(c.infinityMismatchCount == 0)
        #expect(try compare([.greatestFiniteMagnitude], [-.greatestFiniteMagnitude], tolerance: 2).passed)
    }

    @Test("shape mismatches and bad tolerances are errors")
    func errors() throws {
        do {
            _ = try Comparison(ours: Tensor(shape: [2, 3], scalars: [0, 0, 0, 0, 0, 0]), expected: Tensor(zeros: [6]), tolerance: 1e-5)
            Issue.record("expected a shape error")
        } catch let error as KerasError {
            #expect(error.kind == .shape)
            #expect(error.message.contains("[6]") && error.message.contains("[2, 3]"))
        }
        do {
            _ = try Comparison(ours: Tensor([1]), expected: Tensor([1]), tolerance: -1)
            Issue.record("expected an argument error")
        } catch let error as KerasError {
            #expect(error.kind == .invalidArgument)
        }
        #expect(throws: KerasError.self) { try Comparison(ours: Tensor([1]), expected: Tensor([1]), tolerance: .nan) }
    }

    @Test("the report is one readable line")
    func report() throws {
        let two: Float = 2
        let pass = try compare([1, two.nextUp], [1, 2])
        #expect(pass.report == "max abs 2.4e-07 at [1], max rel 1.2e-07, max ULP 1; 0 of 2 elements outside tolerance 1e-05")

        let fail = try compare([0, 0, 1.5, 0], [0, 0, 1, 0], shape: [2, 2], tolerance: 1e-3)
        #expect(fail.report == "max abs 5.0e-01 at [1, 0], max rel 5.0e-01, max ULP 4194304; 1 of 4 elements outside tolerance 0.001; first failure at [1, 0]: ours 1.5, expected 1.0")
        #expect(!fail.report.contains("\n"))

        let empty = try compare([], [], shape: [0, 3])
        #expect(empty.passed)
        #expect(empty.report == "no elements to compare (shape [0, 3])")
    }
}
