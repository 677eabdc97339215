/// Tensors from nested Swift arrays, and back.
///
/// ```swift
/// let batch = try Tensor([[0.1, 0.2, 0.3],
///                         [0.4, 0.5, 0.6]])      // shape [2, 3]
/// ```
///
/// The arrays must be rectangular: every row of one level has the same length. An empty outer
/// array gives a shape of zeros of the array's rank (`[[Float]]()` → `[0, 0]`).
extension Tensor {
    /// A rank-2 tensor: `rows.count` rows of equal length.
    public init(_ rows: [[Float]]) throws {
        let width = rows.first?.count ?? 0
        var scalars: [Float] = []
        scalars.reserveCapacity(rows.count * width)
        for (i, row) in rows.enumerated() {
            guard row.count == width else {
                throw KerasError(.shape, "ragged array: row \(i) has \(row.count) elements, row 0 has \(width)")
            }
            scalars.append(contentsOf: row)
        }
        self.init(uncheckedShape: [rows.count, width], scalars: scalars)
    }

    /// A rank-3 tensor, e.g. `(batch, time, features)`.
    public init(_ values: [[[Float]]]) throws {
        var parts: [Tensor] = []
        parts.reserveCapacity(values.count)
        for v in values { parts.append(try Tensor(v)) }
        self = try Tensor.stacking(parts, innerRank: 2)
    }

    /// A rank-4 tensor, e.g. `(batch, height, width, channels)`.
    public init(_ values: [[[[Float]]]]) throws {
        var parts: [Tensor] = []
        parts.reserveCapacity(values.count)
        for v in values { parts.append(try Tensor(v)) }
        self = try Tensor.stacking(parts, innerRank: 3)
    }

    /// A rank-5 tensor, e.g. `(batch, blocks, time, features, channels)`.
    public init(_ values: [[[[[Float]]]]]) throws {
        var parts: [Tensor] = []
        parts.reserveCapacity(values.count)
        for v in values { parts.append(try Tensor(v)) }
        self = try Tensor.stacking(parts, innerRank: 4)
    }

    /// Stacks equally shaped tensors along a new first axis.
    ///
    /// Throws when the tensors' shapes differ. `innerRank` is the rank of each part, used for the
    /// shape of an empty stack.
    public static func stacking(_ parts: [Tensor], innerRank: Int) throws -> Tensor {
        guard let first = parts.first else {
            return Tensor(zeros: [0] + [Int](repeating: 0, count: max(innerRank, 0)))
        }
        var scalars: [Float] = []
        scalars.reserveCapacity(parts.count * first.count)
        for (i, p) in parts.enumerated() {
            guard p.shape == first.shape else {
                throw KerasError(.shape, "ragged array: item \(i) has shape \(p.shape), item 0 has \(first.shape)")
            }
            scalars.append(contentsOf: p.scalars)
        }
        return try Tensor(shape: [parts.count] + first.shape, scalars: scalars)
    }

    /// The rows of a rank-2 tensor (for example a batch of class probabilities).
    ///
    /// Throws when the tensor's rank is not 2.
    public func rows() throws -> [[Float]] {
        guard rank == 2 else { throw KerasError(.shape, "rows() needs a rank-2 tensor, this one has shape \(shape)") }
        let width = shape[1]
        guard width > 0 else { return [[Float]](repeating: [], count: shape[0]) }
        return stride(from: 0, to: scalars.count, by: width).map { Array(scalars[$0..<$0 + width]) }
    }
}
