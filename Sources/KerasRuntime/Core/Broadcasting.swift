import KConvOps

/// Numpy broadcasting of tensors and of shapes with unknown dimensions, with errors that name the layer.
extension Broadcast {
    /// `f(a, b)` elementwise with numpy broadcasting; throws a shape error naming `layer` when incompatible.
    static func apply(_ a: Tensor, _ b: Tensor, layer: String, _ f: (Float, Float) -> Float) throws -> Tensor {
        guard let result = apply(a.scalars, shape: a.shape, b.scalars, shape: b.shape, f) else {
            throw KerasError(.shape, "layer '\(layer)': cannot broadcast shapes \(a.shape) and \(b.shape)")
        }
        return Tensor(uncheckedShape: result.shape, scalars: result.scalars)
    }

    /// Numpy broadcasting of two shapes (aligned on the right); an unknown dimension stays unknown
    /// unless the other is known and not 1.
    static func shape(_ a: Shape, _ b: Shape, layer: String) throws -> Shape {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a, pb = Array(repeating: 1, count: rank - b.count) + b
        return try zip(pa, pb).map { x, y -> Int? in
            switch (x, y) {
            case let (x?, y?):
                if x == y || y == 1 { return x }
                if x == 1 { return y }
                throw KerasError(.shape, "layer '\(layer)': operands have incompatible shapes \(a.kerasDescription) and \(b.kerasDescription)")
            case let (x?, nil): return x == 1 ? nil : x
            case let (nil, y?): return y == 1 ? nil : y
            case (nil, nil): return nil
            }
        }
    }
}
