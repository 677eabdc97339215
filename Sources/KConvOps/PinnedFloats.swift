/// Floats at one address for the object's whole life, for loops that hold raw pointers across many
/// calls (weights read at every time step, scratch reused from step to step) without nesting a
/// `withUnsafe…` closure per buffer. Never empty underneath: `pointer` is valid even for `count` 0.
///
/// `@unchecked Sendable`: weights are written once, in `init`, before the object is shared; scratch
/// buffers are made and used by one call on one thread.
package final class PinnedFloats: @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<Float>
    package let count: Int

    /// `count` zeros.
    package init(zeros count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A copy of `values`.
    package convenience init(_ values: [Float]) {
        self.init(zeros: values.count)
        copy(values, count: values.count, to: 0)
    }

    deinit { pointer.deallocate() }

    /// Writes the first `count` of `values` at `offset`.
    package func copy(_ values: [Float], count: Int, to offset: Int) {
        values.withUnsafeBufferPointer { p in
            if let base = p.baseAddress { (pointer + offset).update(from: base, count: count) }
        }
    }

    /// `count` floats from `offset` (all of them by default), as an array.
    package func array(from offset: Int = 0, count: Int? = nil) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer + offset, count: count ?? self.count - offset))
    }
}
