/// The type Keras gives a tensor, as far as an operation's meaning depends on it. kconv holds every
/// tensor as float32: an integer tensor holds whole numbers, a boolean tensor 1 and 0.
///
/// The integers must stay where float32 holds every whole number exactly (|v| ≤ 2^24) and inside
/// their own type's range: an operation whose integer results leave that range is refused at run
/// time (`checkedIntegers`), never rounded or wrapped silently.
package enum LogicalDtype: Sendable, Equatable, CustomStringConvertible {
    case float32
    case integer(bits: Int, signed: Bool)
    case bool

    /// A Keras dtype name (`"float32"`, `"int32"`, `"uint8"`, `"bool"`), or a Keras 3 dtype policy
    /// object; nil for the types kconv does not compute in (float16, float64, strings, ...).
    package init?(keras json: JSON?) {
        guard let json else { self = .float32; return }
        let name = json.stringValue ?? json["config"]?["name"]?.stringValue ?? "?"
        switch name {
        case "float32", "mixed_float32": self = .float32
        case "bool": self = .bool
        case "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64":
            let signed = name.hasPrefix("int")
            self = .integer(bits: Int(name.dropFirst(signed ? 3 : 4))!, signed: signed)
        default: return nil
        }
    }

    package var description: String {
        switch self {
        case .float32: return "float32"
        case .bool: return "bool"
        case let .integer(bits, signed): return (signed ? "int" : "uint") + String(bits)
        }
    }

    var isInteger: Bool {
        if case .integer = self { return true }
        return false
    }

    /// The whole numbers this type holds that float32 holds exactly.
    private var exactRange: ClosedRange<Float> {
        let exact: Float = 16_777_216  // 2^24
        guard case let .integer(bits, signed) = self else { return -exact...exact }
        let top = bits >= 25 ? exact : Float((1 << (signed ? bits - 1 : bits)) - 1)
        return (signed ? -min(top + 1, exact) : 0)...top
    }

    /// `values` as this type's values; for an integer type, throws when one leaves the range that
    /// both the type and float32 hold exactly (NaN included), naming the layer.
    func checkedIntegers(_ values: [Float], layer: String, operation: String) throws -> [Float] {
        guard isInteger else { return values }
        let range = exactRange
        if let bad = values.first(where: { !range.contains($0) }) {
            let shown = bad.isFinite ? String(Int64(bad)) : "\(bad)"
            throw KerasError(.unsupported, "layer '\(layer)' (\(operation)): an \(self) result \(shown) is outside \(Int(range.lowerBound))...\(Int(range.upperBound)), where kconv's float32 holds the \(self) values exactly")
        }
        return values
    }

    /// `tf.cast` / `keras.ops.cast` of float32 values to this type: toward zero for integers,
    /// nonzero (NaN included) as true for booleans.
    func cast(_ values: [Float]) -> [Float] {
        switch self {
        case .float32: return values
        case .bool: return values.map { $0 != 0 ? 1 : 0 }
        case .integer: return values.map { $0.rounded(.towardZero) }
        }
    }
}

extension LogicalDtype {
    /// The type of an operation's results, by Keras' rules, from its canonical function, config and
    /// tensor operands' types (constants take the tensors' type): comparisons give bool; `cast`
    /// and `one_hot` their `dtype` (one_hot float32 by default); `divide`, `mean`, softmax and the
    /// transcendental functions float32; `where` its values' type; everything else its operands'
    /// (float32 as soon as one is float32). Nil for a `dtype` kconv does not compute in. The import
    /// reads the types of tf_keras tensors with it.
    package static func result(of function: String, config: [String: JSON], operands: [LogicalDtype]) -> LogicalDtype? {
        switch function {
        case "equal", "not_equal", "greater", "greater_equal", "less", "less_equal": return .bool
        case "cast", "one_hot": return config["dtype"].map { LogicalDtype(keras: $0) } ?? .float32
        case "divide", "mean", "softmax", "exp", "log", "sqrt", "tanh", "sigmoid", "erf": return .float32
        case "where": return joined(operands.dropFirst())
        default: return joined(operands[...])
        }
    }

    /// The common type of operands: float32 if one is, else the first integer type, else bool.
    private static func joined(_ operands: ArraySlice<LogicalDtype>) -> LogicalDtype {
        if operands.isEmpty || operands.contains(.float32) { return .float32 }
        return operands.first { $0.isInteger } ?? .bool
    }
}
