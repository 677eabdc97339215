extension Optional where Wrapped == [Float] {
    /// Calls `body` with the address of the array's values, or with nil when there is no array (an
    /// absent bias, say), for the C kernels' optional pointer arguments.
    package func withUnsafeBaseAddress<R>(_ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard let values = self else { return try body(nil) }
        return try values.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}
