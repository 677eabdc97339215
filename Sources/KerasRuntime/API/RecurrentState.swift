/// The recurrent states a chunk-by-chunk run carries from one call to the next
/// (``KerasModel/predict(_:carrying:)``).
public struct RecurrentState: Sendable {
    /// Per recurrent layer call: its final states (`h`, and `c` for an LSTM), each `(batch, units)`.
    var states: [String: [Tensor]] = [:]

    /// Empty: the next call starts every recurrent layer from zeros.
    public init() {}

    /// Forgets the carried states (a new sequence starts).
    public mutating func reset() { states = [:] }

    /// Whether no states are carried yet.
    public var isEmpty: Bool { states.isEmpty }
}
