/// Groups a row-major tensor's elements by their indices along the axes that are *not* reduced.
///
/// For `shape` `(2, 3, 4)` reduced over axis 2, element `(b, t, f)` is in group `b·3 + t` at position
/// `f`; reduced over axes `{1, 2}` it is in group `b` at position `t·4 + f`.
package struct AxisReduction: Sendable {
    /// Per element: the row-major index over the kept axes.
    package let group: [Int]
    /// Per element: the row-major index over the reduced axes, in increasing axis order.
    package let position: [Int]
    /// The number of groups (product of the kept dimensions).
    package let groupCount: Int
    /// The number of elements in each group (product of the reduced dimensions).
    package let groupSize: Int

    package init(shape: [Int], reduced: Set<Int>) {
        let n = shape.reduce(1, *)
        groupCount = shape.indices.filter { !reduced.contains($0) }.reduce(1) { $0 * shape[$1] }
        groupSize = shape.indices.filter { reduced.contains($0) }.reduce(1) { $0 * shape[$1] }
        // Each axis contributes `index · weight` to either the group or the position.
        var groupWeight = Array(repeating: 0, count: shape.count)
        var positionWeight = Array(repeating: 0, count: shape.count)
        var g = 1, p = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            if reduced.contains(d) { positionWeight[d] = p; p *= shape[d] } else { groupWeight[d] = g; g *= shape[d] }
        }
        var group = [Int](repeating: 0, count: n)
        var position = [Int](repeating: 0, count: n)
        group.withUnsafeMutableBufferPointer { group in
            position.withUnsafeMutableBufferPointer { position in
                StridedWalk.forEach(counts: shape, strides: (groupWeight, positionWeight)) { e, g, p in
                    group[e] = g
                    position[e] = p
                }
            }
        }
        self.group = group
        self.position = position
    }
}

extension AxisReduction {
    /// For each element of a tensor of `shape`, its row-major index over the `kept` axes (sorted):
    /// the parameter a per-channel operation applies to it. The last axis alone is a modulo.
    package static func keptIndex(shape: [Int], kept: [Int]) -> (Int) -> Int {
        if kept.isEmpty { return { _ in 0 } }
        if kept == [shape.count - 1], let c = shape.last, c > 0 { return { $0 % c } }
        let plan = AxisReduction(shape: shape, reduced: Set(0..<shape.count).subtracting(kept))
        return { plan.group[$0] }
    }
}
