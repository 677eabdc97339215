import Testing
@testable import KerasImport
@testable import KerasRuntime

/// Config decoding for each Keras generation's config forms. Expected graphs and parameter counts
/// follow from the configs written out in each test (Dense(n→m) has n·m + m parameters).
@Suite("Keras config decoding")
struct ConfigDecoderTests {
    let keras2 = ConfigDecoder(version: KerasVersion("2.2.4"))

    func decode(_ text: String, _ decoder: ConfigDecoder? = nil) throws -> GraphSpec {
        try (decoder ?? keras2).decodeModel(JSON(parsing: text))
    }

    func summary(_ graph: GraphSpec) throws -> ModelSummary {
        ModelSummary(try Model(spec: graph, version: KerasVersion("2.2.4"), weights: nil))
    }

    @Test("Keras ≤ 2.2.2 Sequential: a bare list, batch_input_shape on the first layer")
    func sequentialList() throws {
        let g = try decode("""
            {"class_name": "Sequential", "config": [
              {"class_name": "Dense", "config": {"name": "dense_1", "units": 4, "batch_input_shape": [null, 3]}},
              {"class_name": "Dense", "config": {"name": "dense_2", "units": 2, "activation": "softmax"}}]}
            """)
        #expect(g.isSequential)
        #expect(g.layers.map(\.className) == ["InputLayer", "Dense", "Dense"])
        #expect(g.layers[2].calls == [[TensorRef("dense_1")]])
        let s = try summary(g)
        #expect(s.rows.map(\.name) == ["dense_1", "dense_2"])
        #expect(s.rows.map(\.parameters) == [3 * 4 + 4, 4 * 2 + 2])
        #expect(s.rows[1].outputShape == .single([nil, 2]))
    }

    @Test("tf.keras Sequential dict with an InputLayer; Keras 3 batch_shape")
    func sequentialWithInputLayer() throws {
        for key in ["batch_input_shape", "batch_shape"] {
            let g = try decode("""
                {"class_name": "Sequential", "config": {"name": "seq", "layers": [
                  {"class_name": "InputLayer", "config": {"name": "inp", "\(key)": [null, 5, 2]}},
                  {"class_name": "LSTM", "config": {"name": "lstm", "units": 3, "return_sequences": true}}]}}
                """)
            #expect(g.name == "seq")
            #expect(g.inputs == [TensorRef("inp")])
            let s = try summary(g)
            // LSTM: 4 gates × (inputs 2 + recurrent 3 + bias 1) × 3 units.
            #expect(s.rows.map(\.parameters) == [4 * (2 + 3 + 1) * 3])
            #expect(s.rows[0].outputShape == .single([nil, 5, 3]))
        }
    }

    @Test("input_shape, Keras 1 input_dim and build_input_shape give the input shape")
    func otherInputShapeKeys() throws {
        let forms = [
            #"{"class_name": "Dense", "config": {"name": "d", "units": 2, "input_shape": [7]}}"#,
            #"{"class_name": "Dense", "config": {"name": "d", "units": 2, "input_dim": 7}}"#,
        ]
        for f in forms {
            let s = try summary(decode(#"{"class_name": "Sequential", "config": {"layers": ["# + f + "]}}"))
            #expect(s.rows[0].parameters == 7 * 2 + 2)
        }
        let built = try decode("""
            {"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}],
             "build_input_shape": [null, 7]}}
            """)
        #expect(try summary(built).rows[0].parameters == 16)
    }

    @Test("a Sequential model that was never built is an error, not a guess")
    func sequentialWithoutShape() {
        #expect(throws: KerasError.self) {
            try decode(#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}]}}"#)
        }
    }

    @Test("Keras 2 Functional: two inputs, two outputs, a shared layer called twice")
    func functionalKeras2() throws {
        let g = try decode("""
            {"class_name": "Model", "config": {"name": "m",
              "layers": [
                {"name": "a", "class_name": "InputLayer", "config": {"name": "a", "batch_input_shape": [null, 3]}, "inbound_nodes": []},
                {"name": "b", "class_name": "InputLayer", "config": {"name": "b", "batch_input_shape": [null, 3]}, "inbound_nodes": []},
                {"name": "shared", "class_name": "Dense", "config": {"name": "shared", "units": 5},
                 "inbound_nodes": [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]},
                {"name": "out", "class_name": "Dense", "config": {"name": "out", "units": 1},
                 "inbound_nodes": [[["shared", 1, 0, {}]]]}],
              "input_layers": [["a", 0, 0], ["b", 0, 0]],
              "output_layers": [["shared", 0, 0], ["out", 0, 0]]}}
            """)
        #expect(!g.isSequential)
        #expect(g.layers[2].calls.count == 2)
        let model = try Model(spec: g, version: KerasVersion("2.2.4"), weights: nil)
        #expect(model.inputShapes == [[nil, 3], [nil, 3]])
        #expect(model.outputShapes == [[nil, 5], [nil, 1]])
        let s = ModelSummary(model)
        #expect(s.rows.map(\.name) == ["a", "b", "shared", "out"])
        #expect(s.totalParameters == (3 * 5 + 5) + (5 + 1))
    }

    @Test("Keras 3 call records: args/kwargs with __keras_tensor__ and a bare-triple input list")
    func functionalKeras3() throws {
        let tensor = #"{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["x", 0, 0]}}"#
        let g = try decode("""
            {"class_name": "Functional", "config": {"name": "f", "trainable": true,
              "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "name": "x",
                 "config": {"batch_shape": [null, 4], "dtype": "float32", "name": "x"}, "inbound_nodes": []},
                {"module": "keras.layers", "class_name": "Dense", "name": "d",
                 "config": {"name": "d", "units": 2, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}},
                 "inbound_nodes": [{"args": [\(tensor)], "kwargs": {"training": false}}]}],
              "input_layers": ["x", 0, 0], "output_layers": ["d", 0, 0]}}
            """, ConfigDecoder(version: KerasVersion("3.15.1")))
        #expect(g.inputs == [TensorRef("x")])
        #expect(g.layers[1].calls == [[TensorRef("x")]])
        #expect(try summary(g).totalParameters == 4 * 2 + 2)
    }

    @Test("a nested model's node indices start at 1 in the outer config")
    func nestedModel() throws {
        let g = try decode("""
            {"class_name": "Functional", "config": {"name": "outer",
              "layers": [
                {"name": "in", "class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 6]}, "inbound_nodes": []},
                {"name": "inner", "class_name": "Sequential", "config": {"name": "inner", "layers": [
                   {"class_name": "Dense", "config": {"name": "d1", "units": 5, "batch_input_shape": [null, 6]}},
                   {"class_name": "Dense", "config": {"name": "d2", "units": 3}}]},
                 "inbound_nodes": [[["in", 0, 0, {}]]]},
                {"name": "head", "class_name": "Dense", "config": {"name": "head", "units": 1},
                 "inbound_nodes": [[["inner", 1, 0, {}]]]}],
              "input_layers": [["in", 0, 0]], "output_layers": [["head", 0, 0]]}}
            """)
        #expect(g.layers[2].calls == [[TensorRef("inner", 0, 0)]])
        let s = try summary(g)
        #expect(s.rows[1].className == "Sequential")
        #expect(s.rows[1].parameters == (6 * 5 + 5) + (5 * 3 + 3))
        #expect(s.rows[1].outputShape == .single([nil, 3]))
    }

    @Test("every unsupported layer is reported at once, in one error")
    func unsupportedLayersTogether() throws {
        let g = try decode("""
            {"class_name": "Sequential", "config": [
              {"class_name": "Fancy", "config": {"name": "f1", "batch_input_shape": [null, 3]}},
              {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "wiggle"}},
              {"class_name": "Lambda", "config": {"name": "l"}}]}
            """)
        do {
            _ = try Model(spec: g, version: KerasVersion("2.2.4"), weights: nil)
            Issue.record("expected an error")
        } catch let e as KerasError {
            #expect(e.kind == .unsupported)
            #expect(e.message.hasPrefix("3 problems"))
            for name in ["'f1'", "Fancy", "'d'", "wiggle", "'l'", "Lambda"] { #expect(e.message.contains(name)) }
            #expect(!e.description.contains("\n"))
        }
    }

    @Test("malformed configs are format errors")
    func malformed() {
        for text in [#"{"config": {}}"#, #"{"class_name": "Functional", "config": {"layers": 3}}"#,
                     #"{"class_name": "Sequential", "config": [{"config": {}}]}"#, "{", "[1, 2"] {
            #expect(throws: KerasError.self, "\(text)") { try decode(text) }
        }
    }
}
