/// Reductions of row-major tensors over a set of axes (the other axes kept, in order).
package enum Reduction {
    /// The mean over `axes`: per group the float32 sum of its elements in row-major order,
    /// divided by the group's size (0/0 = NaN for an empty axis).
    package static func mean(_ x: [Float], shape: [Int], axes: Set<Int>) -> [Float] {
        let plan = AxisReduction(shape: shape, reduced: axes)
        let count = Float(plan.groupSize)
        return sum(x, plan: plan).map { $0 / count }
    }

    /// The float32 sum over `axes`, each group's elements added in row-major order (0 when empty).
    package static func sum(_ x: [Float], shape: [Int], axes: Set<Int>) -> [Float] {
        sum(x, plan: AxisReduction(shape: shape, reduced: axes))
    }

    /// The largest element over `axes`, NaN when the group holds a NaN (−∞ when empty).
    package static func max(_ x: [Float], shape: [Int], axes: Set<Int>) -> [Float] {
        fold(x, plan: AxisReduction(shape: shape, reduced: axes), start: -.infinity, Elementwise.maximum)
    }

    /// The smallest element over `axes`, NaN when the group holds a NaN (+∞ when empty).
    package static func min(_ x: [Float], shape: [Int], axes: Set<Int>) -> [Float] {
        fold(x, plan: AxisReduction(shape: shape, reduced: axes), start: .infinity, Elementwise.minimum)
    }

    private static func sum(_ x: [Float], plan: AxisReduction) -> [Float] {
        fold(x, plan: plan, start: 0, +)
    }

    private static func fold(_ x: [Float], plan: AxisReduction, start: Float, _ f: (Float, Float) -> Float) -> [Float] {
        var out = [Float](repeating: start, count: plan.groupCount)
        for e in x.indices { out[plan.group[e]] = f(out[plan.group[e]], x[e]) }
        return out
    }
}
