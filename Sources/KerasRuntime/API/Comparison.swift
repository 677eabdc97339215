import Foundation

/// How closely a computed tensor matches a reference, element by element: the numbers
/// `kconv verify` prints.
///
/// An element passes when |ours − ref| ≤ T·(1 + |ref|), evaluated in `Double` so the boundary is
/// exact. NaN passes only where the other side is NaN at the same position; an infinity passes
/// only against the same infinity. The error maxima are taken over the elements where neither
/// side is NaN (NaN disagreements are counted in ``nanMismatchCount`` instead).
public struct Comparison: Sendable, Equatable {
    /// One element: where it is and both values.
    public struct Element: Sendable, Equatable {
        /// The multi-index, one entry per dimension.
        public var index: [Int]
        /// Our value.
        public var ours: Float
        /// The reference value.
        public var expected: Float
    }

    /// The tolerance T the elements were judged by.
    public let tolerance: Float
    /// The shape both tensors have.
    public let shape: [Int]
    /// The number of elements compared.
    public let count: Int
    /// The largest |ours − ref|; `+infinity` when an infinity is matched by a different value
    /// (or the difference exceeds `Float`'s range).
    public let maxAbsoluteError: Float
    /// The largest |ours − ref| / max(|ref|, `Float.leastNormalMagnitude`); 0 where both are equal.
    public let maxRelativeError: Float
    /// The largest number of representable `Float`s between ours and ref (0 and −0 are 0 apart).
    public let maxULPDistance: UInt64
    /// The element with the largest absolute error (the first on ties); nil when no element is
    /// free of NaN.
    public let worst: Element?
    /// The first element, in C order, outside the tolerance; nil when all pass.
    public let firstFailure: Element?
    /// How many elements fail (NaN and infinity mismatches included).
    public let failingCount: Int
    /// How many positions hold NaN on exactly one side.
    public let nanMismatchCount: Int
    /// How many positions hold an infinity matched by anything other than the same infinity.
    public let infinityMismatchCount: Int
    /// How many of our elements are NaN.
    public let ourNaNCount: Int
    /// How many reference elements are NaN.
    public let expectedNaNCount: Int
    /// How many positions are NaN on both sides (these pass).
    public let sharedNaNCount: Int

    /// Whether every element passes.
    public var passed: Bool { failingCount == 0 }

    /// The multi-index of the element with the largest absolute error.
    public var worstIndex: [Int]? { worst?.index }

    /// Compares `ours` with `expected`; throws a `.shape` error when the shapes differ.
    public init(ours: Tensor, expected: Tensor, tolerance: Float) throws {
        guard ours.shape == expected.shape else {
            throw KerasError(.shape, "the expected array has shape \(expected.shape), ours has \(ours.shape)")
        }
        guard tolerance >= 0 else {
            throw KerasError(.invalidArgument, "the tolerance must be ≥ 0, got \(tolerance)")
        }
        self.tolerance = tolerance
        self.shape = ours.shape
        self.count = ours.count

        let t = Double(tolerance)
        var maxAbs = -1.0, maxRel = 0.0
        var maxULP: UInt64 = 0
        var worstFlat: Int?
        var firstFailingFlat: Int?
        var failing = 0, nanMismatch = 0, infMismatch = 0, ourNaN = 0, expectedNaN = 0, sharedNaN = 0

        ours.scalars.withUnsafeBufferPointer { a in
            expected.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count {
                    let o = a[i], r = b[i]
                    let oNaN = o.isNaN, rNaN = r.isNaN
                    if oNaN || rNaN {
                        if oNaN { ourNaN += 1 }
                        if rNaN { expectedNaN += 1 }
                        if oNaN && rNaN {
                            sharedNaN += 1
                        } else {
                            nanMismatch += 1
                            failing += 1
                            if firstFailingFlat == nil { firstFailingFlat = i }
                        }
                        continue
                    }
                    let abs: Double, rel: Double, pass: Bool
                    if o.isInfinite || r.isInfinite {
                        pass = o == r
                        abs = pass ? 0 : .infinity
                        rel = abs
                        if !pass { infMismatch += 1 }
                    } else {
                        abs = Swift.abs(Double(o) - Double(r))
                        rel = abs == 0 ? 0 : abs / Swift.max(Double(r.magnitude), Double(Float.leastNormalMagnitude))
                        pass = abs <= t * (1 + Double(r.magnitude))
                    }
                    if !pass {
                        failing += 1
                        if firstFailingFlat == nil { firstFailingFlat = i }
                    }
                    if abs > maxAbs {
                        maxAbs = abs
                        worstFlat = i
                    }
                    maxRel = Swift.max(maxRel, rel)
                    if let d = Comparison.ulpDistance(o, r) { maxULP = Swift.max(maxULP, d) }
                }
            }
        }

        let shape = self.shape
        func element(_ flat: Int?) -> Element? {
            flat.map { Element(index: Comparison.multiIndex(flat: $0, shape: shape), ours: ours.scalars[$0], expected: expected.scalars[$0]) }
        }
        self.maxAbsoluteError = Float(Swift.max(maxAbs, 0))
        self.maxRelativeError = Float(maxRel)
        self.maxULPDistance = maxULP
        self.worst = element(worstFlat)
        self.firstFailure = element(firstFailingFlat)
        self.failingCount = failing
        self.nanMismatchCount = nanMismatch
        self.infinityMismatchCount = infMismatch
        self.ourNaNCount = ourNaN
        self.expectedNaNCount = expectedNaN
        self.sharedNaNCount = sharedNaN
    }

    /// Whether one pair of elements passes at tolerance `tolerance` (the rule in the type's doc).
    public static func passes(_ ours: Float, _ expected: Float, tolerance: Float) -> Bool {
        if ours.isNaN || expected.isNaN { return ours.isNaN && expected.isNaN }
        if ours.isInfinite || expected.isInfinite { return ours == expected }
        return Swift.abs(Double(ours) - Double(expected)) <= Double(tolerance) * (1 + Double(expected.magnitude))
    }

    /// The number of representable `Float` steps from `a` to `b`, or nil if either is NaN.
    ///
    /// Bit patterns are mapped to a monotonic integer line (negatives mirrored below zero), so
    /// 0 and −0 are 0 apart, 1 and `1.nextUp` are 1 apart, and the largest finite value is 1
    /// from infinity.
    public static func ulpDistance(_ a: Float, _ b: Float) -> UInt64? {
        guard !a.isNaN, !b.isNaN else { return nil }
        func ordered(_ x: Float) -> Int64 {
            let magnitude = Int64(x.bitPattern & 0x7FFF_FFFF)
            return x.sign == .minus ? -magnitude : magnitude
        }
        return (ordered(a) - ordered(b)).magnitude
    }

    /// The C-order multi-index of the element at `flat`.
    package static func multiIndex(flat: Int, shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }

    /// A one-line summary, e.g. `max abs 3.1e-07 at [1, 0, 3], max rel 2.0e-06, max ULP 12;
    /// 0 of 24 elements outside tolerance 1e-05`, with NaN and infinity notes when they occur.
    public var report: String {
        var parts: [String] = []
        if count == 0 {
            parts.append("no elements to compare (shape \(shape))")
        } else if let worst {
            let location = maxAbsoluteError > 0 ? " at \(worst.index)" : ""
            parts.append("max abs \(Comparison.short(maxAbsoluteError))\(location), max rel \(Comparison.short(maxRelativeError)), max ULP \(maxULPDistance)")
        } else {
            parts.append("no element without NaN to measure")
        }
        if count > 0 {
            parts.append("\(failingCount) of \(count) elements outside tolerance \(tolerance)")
        }
        if sharedNaNCount > 0 {
            parts.append("\(sharedNaNCount) NaN in both (propagated as in Keras)")
        }
        if nanMismatchCount > 0 {
            let onlyOurs = ourNaNCount - sharedNaNCount, onlyExpected = expectedNaNCount - sharedNaNCount
            var notes: [String] = []
            if onlyOurs > 0 { notes.append("\(onlyOurs) NaN only in ours") }
            if onlyExpected > 0 { notes.append("\(onlyExpected) NaN only in expected") }
            parts.append(notes.joined(separator: ", "))
        }
        if infinityMismatchCount > 0 {
            parts.append("\(infinityMismatchCount) infinity mismatch\(infinityMismatchCount == 1 ? "" : "es")")
        }
        if let first = firstFailure {
            parts.append("first failure at \(first.index): ours \(first.ours), expected \(first.expected)")
        }
        return parts.joined(separator: "; ")
    }

    /// Two significant digits in exponent form (`3.1e-07`), `0` for zero, `inf` for infinity.
    static func short(_ x: Float) -> String {
        if x == 0 { return "0" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return String(format: "%.1e", Double(x))
    }
}
