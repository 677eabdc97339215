/// Test vectors stored in a `.kconv` file: inputs and the outputs expected for them.
public struct StoredTestVectors: Sendable {
    /// One tensor per model input, in the model's input order.
    public var inputs: [Tensor]
    /// One tensor per model output, in the model's output order.
    public var expected: [Tensor]
    /// Where the vectors come from (Keras' own outputs, or kconv's self-test), if recorded.
    public var note: String?
    /// The tolerance they were checked at when stored, if recorded.
    public var tolerance: Float?

    public init(inputs: [Tensor], expected: [Tensor], note: String? = nil, tolerance: Float? = nil) {
        self.inputs = inputs
        self.expected = expected
        self.note = note
        self.tolerance = tolerance
    }

    /// Checks that there is one input per model input and one expected tensor per model output.
    func check(against model: LayerGraph) throws {
        guard inputs.count == model.inputShapes.count else {
            throw KerasError(.invalidArgument, "the model takes \(model.inputShapes.count) input(s); \(inputs.count) test input(s) given")
        }
        guard expected.count == model.outputShapes.count else {
            throw KerasError(.invalidArgument, "the model has \(model.outputShapes.count) output(s); \(expected.count) expected test output(s) given")
        }
    }
}
