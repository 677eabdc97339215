/// The Keras release that wrote a file, and the one table of behaviour that changed between releases.
///
/// Every version-dependent decision of kconv reads a property here, so the differences between
/// Keras generations are listed in one place.
public struct KerasVersion: Sendable, Equatable, CustomStringConvertible {
    /// The version string as stored in the file (`"2.2.4"`, `"2.2.4-tf"`, `"3.15.1"`).
    public let string: String
    public let major: Int
    public let minor: Int
    public let patch: Int

    /// Parses a stored `keras_version`; unknown or missing text is treated as Keras 2.
    public init(_ string: String?) {
        let text = string ?? ""
        self.string = text.isEmpty ? "unknown" : text
        let numbers = text.split(whereSeparator: { !$0.isNumber }).prefix(3).compactMap { Int($0) }
        major = numbers.count > 0 ? numbers[0] : 2
        minor = numbers.count > 1 ? numbers[1] : 0
        patch = numbers.count > 2 ? numbers[2] : 0
    }

    public var description: String { string }

    private func atLeast(_ ma: Int, _ mi: Int) -> Bool { (major, minor) >= (ma, mi) }

    /// `hard_sigmoid` is `clip(0.2x + 0.5, 0, 1)` up to Keras 2 and `clip(x/6 + 0.5, 0, 1)` from Keras 3
    /// (keras-team/keras PR #19477; tensorflow #65381).
    public var hardSigmoidIsKeras3: Bool { major >= 3 }

    /// LSTM/GRU `recurrent_activation` when a config omits it: `hard_sigmoid` before Keras 2.3.0, then `sigmoid`.
    public var defaultRecurrentActivation: String { atLeast(2, 3) ? "sigmoid" : "hard_sigmoid" }

    /// GRU `reset_after` when a config omits it: the key appeared in Keras 2.1.3 with default False;
    /// tf.keras 2.x (GRU v2) and Keras 3 write it explicitly.
    public var defaultGRUResetAfter: Bool { major >= 3 }

    /// Keras 1 named arguments differently (`output_dim`, `nb_filter`, `border_mode` ...).
    public var isKeras1: Bool { major <= 1 }
}
