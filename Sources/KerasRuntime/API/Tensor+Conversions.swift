/// Tensors from the sample types that sensor recorders and audio or image buffers hold.
extension Tensor {
    /// A tensor of whole numbers (raw 8- or 16-bit sensor counts, ids), each converted to the
    /// nearest float32 as numpy's `astype(np.float32)` does (exact up to 2^24 in magnitude).
    public init<Integer: BinaryInteger>(shape: [Int], integers: [Integer]) throws {
        try self.init(shape: shape, scalars: integers.map { Float($0) })
    }

    /// A tensor copied from a buffer of float32 values in row-major order: one copy, straight into
    /// the tensor's storage.
    public init(shape: [Int], copying buffer: UnsafeBufferPointer<Float>) throws {
        try self.init(shape: shape, scalars: Array(buffer))
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    /// A tensor of half-precision values, each widened to float32 exactly.
    public init(shape: [Int], float16 values: [Float16]) throws {
        try self.init(shape: shape, scalars: values.map { Float($0) })
    }
    #endif
}

/// Joining tensors along the batch axis and cutting them apart again.
extension Tensor {
    /// The tensors' batches one after another: `(b₁ + b₂ + …, ...)`; the other dimensions must agree.
    public init(concatenatingBatches parts: [Tensor]) throws {
        guard let first = parts.first, first.rank >= 1 else {
            throw KerasError(.invalidArgument, "concatenating batches needs at least one tensor of rank ≥ 1")
        }
        let inner = Array(first.shape.dropFirst())
        guard let mismatch = parts.first(where: { Array($0.shape.dropFirst()) != inner }) else {
            try self.init(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + inner, scalars: parts.flatMap(\.scalars))
            return
        }
        throw KerasError(.shape, "cannot concatenate batches of shapes \(first.shape) and \(mismatch.shape)")
    }

    /// The batch cut into consecutive parts of `sizes` samples (which add up to the batch size).
    public func splittingBatch(into sizes: [Int]) throws -> [Tensor] {
        guard rank >= 1, sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[0] else {
            throw KerasError(.invalidArgument, "cannot split a batch of \(shape.first ?? 0) into \(sizes)")
        }
        let sample = shape.dropFirst().reduce(1, *)
        var offset = 0
        return sizes.map { n in
            defer { offset += n * sample }
            return Tensor(uncheckedShape: [n] + shape.dropFirst(), scalars: Array(scalars[offset..<(offset + n * sample)]))
        }
    }
}
