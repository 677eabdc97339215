/// Joining and splitting row-major arrays along one axis.
package enum Concatenation {
    /// The arrays of equal rank, all of the same shape except along `axis`, joined along it.
    package static func join(_ parts: [(scalars: [Float], shape: [Int])], axis a: Int) -> (scalars: [Float], shape: [Int]) {
        guard let first = parts.first else { return ([], []) }
        let outer = first.shape[..<a].reduce(1, *)
        let chunks = parts.map { $0.shape[a...].reduce(1, *) }
        var shape = first.shape
        shape[a] = parts.reduce(0) { $0 + $1.shape[a] }
        var out = [Float]()
        out.reserveCapacity(outer * chunks.reduce(0, +))
        for o in 0..<outer {
            for (x, c) in zip(parts, chunks) { out.append(contentsOf: x.scalars[o * c..<(o + 1) * c]) }
        }
        return (out, shape)
    }
}

extension Concatenation {
    /// `x` cut along `axis` into consecutive parts of the given sizes (which add up to its length).
    package static func split(_ x: [Float], shape: [Int], axis a: Int, sizes: [Int]) -> [[Float]] {
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        var parts = sizes.map { s -> [Float] in
            var p = [Float]()
            p.reserveCapacity(outer * s * inner)
            return p
        }
        for o in 0..<outer {
            var offset = o * shape[a] * inner
            for (k, s) in sizes.enumerated() {
                parts[k].append(contentsOf: x[offset..<(offset + s * inner)])
                offset += s * inner
            }
        }
        return parts
    }
}
