/// Reductions of row-major tensors over a set of axes.
package enum Reduction {
    /// The mean over `axes` (the other axes kept, in order): per group the float32 sum of its
    /// elements in row-major order, divided by the group's size (0/0 = NaN for an empty axis).
    package static func mean(_ x: [Float], shape: [Int], axes: Set<Int>) -> [Float] {
        let plan = AxisReduction(shape: shape, reduced: axes)
        var sums = [Float](repeating: 0, count: plan.groupCount)
        for e in x.indices { sums[plan.group[e]] += x[e] }
        let count = Float(plan.groupSize)
        return sums.map { $0 / count }
    }
}
