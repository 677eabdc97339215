/// Numpy-style broadcasting of row-major tensors (dimensions aligned on the right, size 1 stretches).
package enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when a pair of dimensions differs and neither is 1.
    package static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        out.reserveCapacity(rank)
        for (x, y) in zip(pa, pb) {
            if x == y || y == 1 { out.append(x) } else if x == 1 { out.append(y) } else { return nil }
        }
        return out
    }

    /// The strides of `shape` read as a broadcast to `target` (0 along stretched or missing axes).
    private static func strides(_ shape: [Int], to target: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: target.count - shape.count) + shape
        var strides = Array(repeating: 0, count: target.count)
        var s = 1
        for i in stride(from: target.count - 1, through: 0, by: -1) {
            strides[i] = padded[i] == 1 && target[i] != 1 ? 0 : s
            s *= padded[i]
        }
        return strides
    }

    /// `f(a, b)` elementwise with broadcasting: the result's shape and elements, or nil when the
    /// shapes do not broadcast.
    package static func apply(_ a: [Float], shape aShape: [Int], _ b: [Float], shape bShape: [Int],
                              _ f: (Float, Float) -> Float) -> (shape: [Int], scalars: [Float])? {
        if aShape == bShape {
            var out = a
            for i in out.indices { out[i] = f(out[i], b[i]) }
            return (aShape, out)
        }
        guard let shape = Broadcast.shape(aShape, bShape) else { return nil }
        var out = [Float](repeating: 0, count: shape.reduce(1, *))
        out.withUnsafeMutableBufferPointer { out in
            StridedWalk.forEach(counts: shape, strides: (strides(aShape, to: shape), strides(bShape, to: shape))) { o, ia, ib in
                out[o] = f(a[ia], b[ib])
            }
        }
        return (shape, out)
    }

    /// `a` stretched to `target`, a shape it broadcasts to.
    package static func expand(_ a: [Float], shape aShape: [Int], to target: [Int]) -> [Float] {
        if aShape == target { return a }
        var out = [Float](repeating: 0, count: target.reduce(1, *))
        out.withUnsafeMutableBufferPointer { out in
            StridedWalk.forEach(counts: target, strides: (strides(aShape, to: target), strides(aShape, to: target))) { o, ia, _ in
                out[o] = a[ia]
            }
        }
        return out
    }
}
