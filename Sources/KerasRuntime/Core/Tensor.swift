/// A dense Float32 tensor in row-major (C) order.
///
/// The first dimension is the batch. Layouts follow Keras: sequences are `(batch, time, features)`
/// (`NLC`), images `(batch, height, width, channels)` (`NHWC`).
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension.
    public let shape: [Int]
    /// The elements, `shape.product` of them, last dimension fastest.
    public var scalars: [Float]

    /// A tensor of the given shape and elements; throws if the counts disagree.
    public init(shape: [Int], scalars: [Float]) throws {
        guard let count = Tensor.elementCount(shape) else {
            throw KerasError(.shape, "invalid tensor shape \(shape)")
        }
        guard count == scalars.count else {
            throw KerasError(.shape, "shape \(shape) needs \(count) elements, got \(scalars.count)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor whose shape the caller has already checked against `scalars`.
    init(uncheckedShape shape: [Int], scalars: [Float]) {
        assert(Tensor.elementCount(shape) == scalars.count)
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.scalars = [Float](repeating: 0, count: Tensor.elementCount(shape) ?? 0)
    }

    /// A 1-D tensor.
    public init(_ scalars: [Float]) {
        self.shape = [scalars.count]
        self.scalars = scalars
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, scalars: scalars)
    }

    /// The product of `shape`, or nil if a dimension is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }
}
