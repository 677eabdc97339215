/// Row-major tensor edits along one axis: padding or cropping its ends, repeating its slices,
/// resizing it bilinearly. Each takes the elements and shape and returns the new shape and elements.
package enum AxisEdit {
    /// Splits `shape` at `axis` into (elements before it, its length, elements after it).
    private static func split(_ shape: [Int], _ axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// `shape` with `axis` set to `length`.
    private static func resized(_ shape: [Int], _ axis: Int, _ length: Int) -> [Int] {
        var shape = shape
        shape[axis] = length
        return shape
    }

    /// Adds `before`/`after` zeros along `axis` (negative amounts crop instead).
    package static func pad(_ x: [Float], shape: [Int], axis: Int, before: Int, after: Int) -> (shape: [Int], scalars: [Float]) {
        let (outer, length, inner) = split(shape, axis)
        let newLength = max(0, length + before + after)
        var out = [Float](repeating: 0, count: outer * newLength * inner)
        for o in 0..<outer {
            for t in 0..<newLength {
                let source = t - before
                guard source >= 0, source < length else { continue }
                let dst = (o * newLength + t) * inner, src = (o * length + source) * inner
                for i in 0..<inner { out[dst + i] = x[src + i] }
            }
        }
        return (resized(shape, axis, newLength), out)
    }

    /// Repeats every slice along `axis` `times` times in place (`[a, b]` → `[a, a, b, b]`).
    package static func repeatSlices(_ x: [Float], shape: [Int], axis: Int, times: Int) -> (shape: [Int], scalars: [Float]) {
        let (outer, length, inner) = split(shape, axis)
        var out = [Float]()
        out.reserveCapacity(x.count * times)
        for o in 0..<outer {
            for t in 0..<length {
                let slice = x[(o * length + t) * inner..<(o * length + t + 1) * inner]
                for _ in 0..<times { out.append(contentsOf: slice) }
            }
        }
        return (resized(shape, axis, length * times), out)
    }

    /// TensorFlow's half-pixel bilinear resize of axis `axis` to `length * factor` (`tf.image.resize`,
    /// `antialias=False`): source `(o + 0.5)·scale − 0.5`, neighbours clamped to the edges.
    package static func bilinear(_ x: [Float], shape: [Int], axis: Int, factor: Int) -> (shape: [Int], scalars: [Float]) {
        let (outer, length, inner) = split(shape, axis)
        let newLength = length * factor
        let scale = Float(length) / Float(newLength)
        var out = [Float](repeating: 0, count: outer * newLength * inner)
        for t in 0..<newLength {
            let source = (Float(t) + 0.5) * scale - 0.5
            let lowF = source.rounded(.down)
            let low = max(Int(lowF), 0), high = min(Int(source.rounded(.up)), length - 1)
            let lerp = source - lowF
            for o in 0..<outer {
                let a = (o * length + low) * inner, b = (o * length + high) * inner, dst = (o * newLength + t) * inner
                for i in 0..<inner {
                    let lo = x[a + i]
                    out[dst + i] = lo + (x[b + i] - lo) * lerp
                }
            }
        }
        return (resized(shape, axis, newLength), out)
    }
}
