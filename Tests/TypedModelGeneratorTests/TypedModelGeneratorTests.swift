import Testing
@testable import TypedModelGenerator

/// Keras names made into Swift names, and model text kept inert in the generated source. The
/// generated code itself is compiled (with warnings as errors) and run against Keras' outputs by
/// Examples/TypedModels, which the test command builds and tests.
@Suite("Typed model generator")
struct TypedModelGeneratorTests {
    @Test("Keras names become lowerCamelCase properties and UpperCamelCase types")
    func identifiers() {
        #expect(SwiftIdentifiers.property("input_1") == "input1")
        #expect(SwiftIdentifiers.property("tf.math.multiply") == "tfMathMultiply")
        #expect(SwiftIdentifiers.property("tf.__operators__.add") == "tfOperatorsAdd")
        #expect(SwiftIdentifiers.property("FC_out") == "fcOut")
        #expect(SwiftIdentifiers.property("Dense") == "dense")
        #expect(SwiftIdentifiers.property("1st-window") == "_1stWindow")
        #expect(SwiftIdentifiers.property("??") == "value")
        #expect(SwiftIdentifiers.type("cnn_lstm") == "CnnLstm")
        #expect(SwiftIdentifiers.type("EMGModel") == "EMGModel")
        #expect(SwiftIdentifiers.type("3d model") == "_3dModel")
    }

    @Test("keywords are escaped and repeated names numbered")
    func collisions() {
        #expect(SwiftIdentifiers.distinctProperties(["dense", "dense_", "Dense", "class"]) == ["dense", "dense2", "dense3", "class"])
        #expect(SwiftIdentifiers.escaped("class") == "`class`")
        #expect(SwiftIdentifiers.escaped("dense") == "dense")
    }

    @Test("text from the model file cannot leave a comment or a string literal")
    func inertText() {
        let hostile = "m`\n} import Evil //\u{2028}x"
        let comment = TypedModelGenerator.comment(hostile)
        #expect(!comment.contains("\n") && !comment.contains("`") && !comment.contains("\u{2028}"))
        #expect(TypedModelGenerator.literal("a\"b\\c\nd") == #""a\"b\\c\nd""#)
    }
}
