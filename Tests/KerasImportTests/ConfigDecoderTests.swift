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
        ModelSummary(try LayerGraph(spec: graph, version: KerasVersion("2.2.4"), weights: nil))
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
        let model = try LayerGraph(spec: g, version: KerasVersion("2.2.4"), weights: nil)
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

    @Test("tf.keras kwargs tensors follow the first argument as value, key; other kwargs become call_kwargs")
    func keras2KwargsTensors() throws {
        // As tf_keras 2.21 writes MultiHeadAttention(q, v, k, use_causal_mask=True) and Attention([q, v]).
        let g = try decode("""
            {"class_name": "Functional", "config": {"name": "m",
              "layers": [
                {"name": "q", "class_name": "InputLayer", "config": {"name": "q", "batch_input_shape": [null, 4, 3]}, "inbound_nodes": []},
                {"name": "v", "class_name": "InputLayer", "config": {"name": "v", "batch_input_shape": [null, 5, 3]}, "inbound_nodes": []},
                {"name": "k", "class_name": "InputLayer", "config": {"name": "k", "batch_input_shape": [null, 5, 2]}, "inbound_nodes": []},
                {"name": "mha", "class_name": "MultiHeadAttention",
                 "config": {"name": "mha", "num_heads": 2, "key_dim": 3, "attention_axes": [1]},
                 "inbound_nodes": [[["q", 0, 0, {"key": ["k", 0, 0], "value": ["v", 0, 0], "use_causal_mask": true}]]]},
                {"name": "att", "class_name": "Attention", "config": {"name": "att"},
                 "inbound_nodes": [[["q", 0, 0, {"return_attention_scores": true}], ["v", 0, 0, {"return_attention_scores": true}]]]}],
              "input_layers": [["q", 0, 0], ["v", 0, 0], ["k", 0, 0]],
              "output_layers": [["mha", 0, 0], ["att", 0, 1]]}}
            """, ConfigDecoder(version: KerasVersion("2.15.0")))
        #expect(g.layers[3].calls == [[TensorRef("q"), TensorRef("v"), TensorRef("k")]])
        #expect(g.layers[3].config["call_kwargs"] == .array([.object([
            "value": .object(["inputs": .array([.number(1)])]),
            "key": .object(["inputs": .array([.number(2)])]),
            "use_causal_mask": .bool(true)])]))
        // Attention's kwargs are repeated on each input: read once, no tensors added.
        #expect(g.layers[4].calls == [[TensorRef("q"), TensorRef("v")]])
        #expect(g.layers[4].config["call_kwargs"] == .array([.object(["return_attention_scores": .bool(true)])]))
        let model = try LayerGraph(spec: g, version: KerasVersion("2.15.0"), weights: nil)
        // MHA: output (None, 4, 3); 3·2·3+2·3 (query) + 2·2·3+2·3 (key) + 3·2·3+2·3 (value) + 2·3·3+3 (output).
        #expect(model.outputShapes == [[nil, 4, 3], [nil, 4, 5]])
        #expect(model.layers[3].parameterCounts.trainable == 24 + 18 + 24 + 21)
    }

    @Test("Keras 3 call records: tensors in kwargs come as value, key, after args")
    func keras3KwargsTensors() throws {
        func tensor(_ name: String) -> String {
            #"{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 3], "dtype": "float32", "keras_history": ["\#(name)", 0, 0]}}"#
        }
        let g = try decode("""
            {"class_name": "Functional", "config": {"name": "f",
              "layers": [
                {"class_name": "InputLayer", "name": "q", "config": {"batch_shape": [null, 4, 3], "name": "q"}, "inbound_nodes": []},
                {"class_name": "InputLayer", "name": "v", "config": {"batch_shape": [null, 4, 3], "name": "v"}, "inbound_nodes": []},
                {"class_name": "InputLayer", "name": "k", "config": {"batch_shape": [null, 4, 3], "name": "k"}, "inbound_nodes": []},
                {"class_name": "MultiHeadAttention", "name": "mha", "config": {"name": "mha", "num_heads": 1, "key_dim": 2},
                 "inbound_nodes": [{"args": [\(tensor("q"))], "kwargs": {"key": \(tensor("k")), "value": \(tensor("v")), "training": false}}]}],
              "input_layers": [["q", 0, 0], ["v", 0, 0], ["k", 0, 0]], "output_layers": ["mha", 0, 0]}}
            """, ConfigDecoder(version: KerasVersion("3.15.1")))
        #expect(g.layers[3].calls == [[TensorRef("q"), TensorRef("v"), TensorRef("k")]])
        #expect(g.layers[3].config["call_kwargs"]?.arrayValue?.first?["training"] == .bool(false))
    }

    /// A Keras 3 Functional config as Keras 3.15 writes `GlobalAveragePooling1D()(Masking()(x))`:
    /// the traced mask `any(not_equal(x, 0), -1)` is recorded as two `keras.src.ops` nodes feeding
    /// the pooling call's `mask=` argument. `maskSource` replaces that argument's producer.
    func maskedKeras3(maskSource: String = "any") throws -> GraphSpec {
        func tensor(_ name: String, _ shape: String = "[null, 5, 3]") -> String {
            #"{"class_name": "__keras_tensor__", "config": {"shape": \#(shape), "dtype": "float32", "keras_history": ["\#(name)", 0, 0]}}"#
        }
        return try decode("""
            {"class_name": "Functional", "config": {"name": "f",
              "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "name": "x", "config": {"batch_shape": [null, 5, 3], "name": "x"}, "inbound_nodes": []},
                {"module": "keras.layers", "class_name": "Masking", "name": "masking", "config": {"name": "masking", "mask_value": 0.0},
                 "inbound_nodes": [{"args": [\(tensor("x"))], "kwargs": {}}]},
                {"module": "keras.src.ops.numpy", "class_name": "NotEqual", "name": "not_equal", "config": {"name": "not_equal"},
                 "inbound_nodes": [{"args": [\(tensor("x")), 0.0], "kwargs": {}}]},
                {"module": "keras.src.ops.numpy", "class_name": "Any", "name": "any", "config": {"name": "any", "axis": -1, "keepdims": false},
                 "inbound_nodes": [{"args": [\(tensor("not_equal"))], "kwargs": {}}]},
                {"module": "keras.layers", "class_name": "GlobalAveragePooling1D", "name": "gap", "config": {"name": "gap"},
                 "inbound_nodes": [{"args": [\(tensor("masking"))], "kwargs": {"mask": \(tensor(maskSource, "[null, 5]"))}}]}],
              "input_layers": [["x", 0, 0]], "output_layers": [["gap", 0, 0]]}}
            """, ConfigDecoder(version: KerasVersion("3.15.1")))
    }

    @Test("Keras 3 mask records (keras.ops nodes feeding mask=) are dropped: kconv propagates the mask itself")
    func keras3RecordedMasks() throws {
        let g = try maskedKeras3()
        #expect(g.layers.map(\.name) == ["x", "masking", "gap"])
        #expect(g.layers[2].calls == [[TensorRef("masking")]])
        #expect(g.layers[2].config["call_kwargs"] == nil)
        // The masked mean over the valid steps: steps 1 and 3 are all zeros, so (x0 + x2 + x4) / 3.
        let model = try LayerGraph(spec: g, version: KerasVersion("3.15.1"), weights: nil)
        var x = [Float](repeating: 0, count: 15)
        for step in [0, 2, 4] { for c in 0..<3 { x[step * 3 + c] = Float(step * 3 + c + 1) } }
        let y = try model.predict([Tensor(shape: [1, 5, 3], scalars: x)])[0]
        let expected: [Float] = [21 / 3, 24 / 3, 27 / 3]   // (1 + 7 + 13) / 3, (2 + 8 + 14) / 3, (3 + 9 + 15) / 3
        #expect(y.scalars == expected)
    }

    @Test("a Keras 3 mask= argument from a model input (not a recorded op) is refused clearly")
    func keras3ExplicitMask() throws {
        do {
            _ = try maskedKeras3(maskSource: "x")
            Issue.record("expected an error")
        } catch let e as KerasError {
            #expect(e.kind == .unsupported)
            #expect(e.message.contains("'gap'") && e.message.contains("explicit mask"))
        }
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
            _ = try LayerGraph(spec: g, version: KerasVersion("2.2.4"), weights: nil)
            Issue.record("expected an error")
        } catch let e as KerasError {
            #expect(e.kind == .unsupported)
            #expect(e.message.hasPrefix("3 problems"))
            for name in ["'f1'", "Fancy", "'d'", "wiggle", "'l'", "Lambda"] { #expect(e.message.contains(name)) }
            #expect(!e.description.contains("\n"))
        }
    }

    @Test("absurd sizes are refused before shape arithmetic or allocation", arguments: [
        (#"{"batch_input_shape": [null, 100000]}"#, #"{"class_name": "Dense", "config": {"name": "l", "units": 1000000000}}"#),
        (#"{"batch_input_shape": [null, 3000000000, 4]}"#, #"{"class_name": "Flatten", "config": {"name": "l"}}"#),
        (#"{"batch_input_shape": [null, 70000, 70000]}"#, #"{"class_name": "Flatten", "config": {"name": "l"}}"#),
        (#"{"batch_input_shape": [null, 4]}"#, #"{"class_name": "Reshape", "config": {"name": "l", "target_shape": [2000000000, 2000000000, 2000000000, -1]}}"#),
        (#"{"batch_input_shape": [null, 1000]}"#, #"{"class_name": "RepeatVector", "config": {"name": "l", "n": 2000000000}}"#),
        (#"{"batch_input_shape": [null, 5, 3]}"#, #"{"class_name": "LSTM", "config": {"name": "l", "units": 99999999999999}}"#),
        (#"{"batch_input_shape": [null, 8, 8, 3]}"#, #"{"class_name": "UpSampling2D", "config": {"name": "l", "size": [2000000000, 2000000000]}}"#),
    ])
    func absurdSizes(input: String, layer: String) throws {
        let g = try decode(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": \#(input.dropLast()), "name": "in"}}, \#(layer)]}}"#)
        do {
            _ = try LayerGraph(spec: g, version: KerasVersion("2.15.0"), weights: nil)
            Issue.record("an absurd size was accepted: \(layer)")
        } catch let e as KerasError {
            #expect(e.message.contains("'l'") || e.message.contains("'in'"), "\(e)")
            #expect(!e.description.contains("\n"))
        }
    }

    @Test("an architecture read without weights may not ask for more than 2^26 zero weights in all")
    func zeroWeightBudget() throws {
        // Dense(16384) on 16384 features: 16384 · 16384 + 16384 = 268,451,840 weights (1 GiB of zeros),
        // each under the per-weight limit of 2^30, from a JSON of a few hundred bytes.
        let dense = #"{"class_name": "Dense", "config": {"name": "l", "units": 16384}}"#
        let g = try decode(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 16384]}, "name": "in"}, \#(dense)]}}"#)
        do {
            _ = try LayerGraph(spec: g, version: KerasVersion("2.15.0"), weights: nil)
            Issue.record("1 GiB of zero weights was allocated")
        } catch let e as KerasError {
            #expect(e.message.hasPrefix("layer 'l': without its weights file the architecture is built with zero weights, and it needs more than 2^26"))
        }
        // 4096 · 4096 + 4096 = 16,781,312 ≤ 2^26: built.
        let small = try decode(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4096]}, "name": "in"}, {"class_name": "Dense", "config": {"name": "l", "units": 4096}}]}}"#)
        #expect(throws: Never.self) { try LayerGraph(spec: small, version: KerasVersion("2.15.0"), weights: nil) }
    }

    @Test("malformed configs are format errors")
    func malformed() {
        for text in [#"{"config": {}}"#, #"{"class_name": "Functional", "config": {"layers": 3}}"#,
                     #"{"class_name": "Sequential", "config": [{"config": {}}]}"#, "{", "[1, 2"] {
            #expect(throws: KerasError.self, "\(text)") { try decode(text) }
        }
    }
}
