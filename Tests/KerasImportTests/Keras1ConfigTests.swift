import Testing
@testable import KerasImport
@testable import KerasRuntime

/// Keras 1 configs read in Keras 2 terms, and nested-model node numbering across generations.
/// The Keras 1 configs are written as Keras 1.1/1.2 serialised them (compare the wild corpus'
/// Keras 1 files); expected parameter counts follow from the shapes.
@Suite("Keras 1 configs and node numbering")
struct Keras1ConfigTests {
    let keras1 = ConfigDecoder(version: KerasVersion("1.2.2"))

    func decode(_ text: String, _ decoder: ConfigDecoder) throws -> GraphSpec {
        try decoder.decodeModel(JSON(parsing: text))
    }

    func model(_ graph: GraphSpec, _ version: String) throws -> LayerGraph {
        try LayerGraph(spec: graph, version: KerasVersion(version), weights: nil)
    }

    @Test("Keras 1 names: Convolution1D, nb_filter, filter_length, border_mode, subsample_length, bias, p, output_dim, inner_activation")
    func sequentialRenames() throws {
        let g = try decode("""
            {"class_name": "Sequential", "config": [
              {"class_name": "Convolution1D", "config": {"batch_input_shape": [null, 9, 4], "name": "convolution1d_1",
                "nb_filter": 6, "filter_length": 3, "init": "uniform", "bias": false, "input_dtype": "float32",
                "subsample_length": 2, "border_mode": "same", "activation": "relu", "input_dim": null, "input_length": null}},
              {"class_name": "Dropout", "config": {"p": 0.25, "trainable": true, "name": "dropout_1"}},
              {"class_name": "LSTM", "config": {"name": "lstm_1", "output_dim": 5, "inner_activation": "hard_sigmoid",
                "activation": "tanh", "consume_less": "cpu", "dropout_W": 0.1, "dropout_U": 0.2, "forget_bias_init": "one",
                "return_sequences": false, "go_backwards": false, "stateful": false, "unroll": false, "input_dim": 6}},
              {"class_name": "Dense", "config": {"name": "dense_1", "output_dim": 2, "bias": true, "activation": "linear"}}]}
            """, keras1)
        #expect(g.layers.map(\.className) == ["InputLayer", "Conv1D", "Dropout", "LSTM", "Dense"])
        let conv = g.layers[1].config
        #expect(conv["filters"] == .number(6))
        #expect(conv["kernel_size"] == .number(3))
        #expect(conv["strides"] == .number(2))
        #expect(conv["padding"] == .string("same"))
        #expect(conv["use_bias"] == .bool(false))
        #expect(conv["nb_filter"] == nil && conv["input_dtype"] == nil)
        #expect(g.layers[2].config["rate"] == .number(0.25))
        #expect(g.layers[3].config["units"] == .number(5))
        #expect(g.layers[3].config["recurrent_activation"] == .string("hard_sigmoid"))
        #expect(g.layers[4].config["units"] == .number(2))
        let m = try model(g, "1.2.2")
        // Conv1D (same, stride 2): 9 → 5 steps, 3·4·6 weights, no bias; LSTM 4·(6+5+1)·5; Dense 5·2+2.
        let s = ModelSummary(m)
        #expect(s.rows.map(\.parameters) == [3 * 4 * 6, 0, 4 * (6 + 5 + 1) * 5, 5 * 2 + 2])
        #expect(s.rows[0].outputShape == .single([nil, 5, 6]))
    }

    @Test("Keras 1 Convolution2D: nb_row/nb_col, subsample, dim_ordering; MaxPooling1D pool_length")
    func convolution2DAndPooling() throws {
        let (cls, c) = try Keras1Config.translate(className: "Convolution2D", config: [
            "name": .string("c"), "nb_filter": .number(4), "nb_row": .number(3), "nb_col": .number(2),
            "subsample": .array([.number(1), .number(2)]), "border_mode": .string("valid"), "dim_ordering": .string("th"),
        ])
        #expect(cls == "Conv2D")
        #expect(c["kernel_size"] == .array([.number(3), .number(2)]))
        #expect(c["strides"] == .array([.number(1), .number(2)]))
        #expect(c["data_format"] == .string("channels_first"))
        let (pool, p) = try Keras1Config.translate(className: "MaxPooling1D", config: [
            "name": .string("p"), "pool_length": .number(2), "stride": .null, "border_mode": .string("valid"),
        ])
        #expect(pool == "MaxPooling1D")
        #expect(p["pool_size"] == .number(2) && p["strides"] == .null && p["padding"] == .string("valid"))
        // Embedding keeps output_dim.
        let (_, e) = try Keras1Config.translate(className: "Embedding", config: ["name": .string("e"), "output_dim": .number(5)])
        #expect(e["output_dim"] == .number(5) && e["units"] == nil)
    }

    @Test("Keras 1 Bidirectional: the wrapped LSTM is translated too, batch_input_shape sits on the wrapper")
    func bidirectional() throws {
        let g = try decode("""
            {"class_name": "Sequential", "config": [
              {"class_name": "Bidirectional", "config": {"name": "bidirectional_1", "batch_input_shape": [null, 4, 10],
                "input_dtype": "float32", "merge_mode": "concat",
                "layer": {"class_name": "LSTM", "config": {"name": "lstm_1", "output_dim": 10, "return_sequences": true,
                  "inner_activation": "hard_sigmoid", "activation": "tanh", "go_backwards": false}}}}]}
            """, keras1)
        let inner = try #require(g.layers[1].config["layer"]?["config"]?.objectValue)
        #expect(inner["units"] == .number(10))
        #expect(inner["recurrent_activation"] == .string("hard_sigmoid"))
        #expect(g.layers[0].config["batch_input_shape"] == .array([.null, .number(4), .number(10)]))
    }

    @Test("Keras 1 Merge becomes the Keras 2 merge layer; a Merge of sub-models and lambda modes are refused")
    func merge() throws {
        let (cls, c) = try Keras1Config.translate(className: "Merge", config: [
            "name": .string("merge_1"), "mode": .string("concat"), "concat_axis": .number(-1), "mode_type": .string("raw"),
        ])
        #expect(cls == "Concatenate" && c["axis"] == .number(-1))
        #expect(try Keras1Config.translate(className: "Merge", config: ["name": .string("m"), "mode": .string("sum")]).className == "Add")
        #expect(throws: KerasError.self) {
            try Keras1Config.translate(className: "Merge", config: ["name": .string("m"), "mode": .string("cos")])
        }
        #expect(throws: KerasError.self) {
            try Keras1Config.translate(className: "Merge", config: ["name": .string("m"), "layers": .array([])])
        }
        #expect(throws: KerasError.self) {
            try Keras1Config.translate(className: "BatchNormalization", config: ["name": .string("bn"), "mode": .number(2)])
        }
    }

    @Test("Keras 2 configs are left alone: output_dim of a Keras 2 Dense is not renamed")
    func keras2Untouched() throws {
        let g = try decode("""
            {"class_name": "Sequential", "config": [
              {"class_name": "Dense", "config": {"name": "d", "units": 3, "batch_input_shape": [null, 2], "bias": "x"}}]}
            """, ConfigDecoder(version: KerasVersion("2.0.5")))
        #expect(g.layers[1].config["bias"] == .string("x"))
    }

    /// A Functional config with one nested model `inner` called twice, referenced by `head` as `refs`.
    func nestedConfig(innerClass: String, refs: (Int, Int), outputs: String) -> String {
        let innerConfig = innerClass == "Sequential"
            ? #"{"name": "inner", "layers": [{"class_name": "InputLayer", "config": {"name": "ii", "batch_shape": [null, 4]}}, {"class_name": "Dense", "config": {"name": "d", "units": 2}}]}"#
            : #"{"name": "inner", "layers": [{"class_name": "InputLayer", "name": "ii", "config": {"name": "ii", "batch_shape": [null, 4]}, "inbound_nodes": []}, {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [[["ii", 0, 0, {}]]]}], "input_layers": [["ii", 0, 0]], "output_layers": [["d", 0, 0]]}"#
        return """
            {"class_name": "Functional", "config": {"name": "outer",
              "layers": [
                {"name": "x", "class_name": "InputLayer", "config": {"name": "x", "batch_shape": [null, 4]}, "inbound_nodes": []},
                {"name": "y", "class_name": "InputLayer", "config": {"name": "y", "batch_shape": [null, 4]}, "inbound_nodes": []},
                {"name": "inner", "class_name": "\(innerClass)", "config": \(innerConfig),
                 "inbound_nodes": [[["x", 0, 0, {}]], [["y", 0, 0, {}]]]},
                {"name": "head", "class_name": "Dense", "config": {"name": "head", "units": 1},
                 "inbound_nodes": [[["inner", \(refs.0), 0, {}]]]}],
              "input_layers": [["x", 0, 0], ["y", 0, 0]], "output_layers": \(outputs)}}
            """
    }

    @Test("a nested model's first node index is read from the references, else from the version table")
    func nestedNodeNumbering() throws {
        // Keras 3 Sequential called twice: references 0 and 1 (as Keras 3.15 writes them).
        let k3 = ConfigDecoder(version: KerasVersion("3.15.1"))
        var g = try decode(nestedConfig(innerClass: "Sequential", refs: (0, 1), outputs: #"[["inner", 1, 0], ["head", 0, 0]]"#), k3)
        #expect(g.layers[3].calls == [[TensorRef("inner", 0, 0)]])
        #expect(g.outputs == [TensorRef("inner", 1, 0), TensorRef("head")])
        // Keras 3 Functional (and Keras 2 models) count their construction: references 1 and 2.
        g = try decode(nestedConfig(innerClass: "Functional", refs: (1, 2), outputs: #"[["inner", 2, 0], ["head", 0, 0]]"#), k3)
        #expect(g.layers[3].calls == [[TensorRef("inner", 0, 0)]])
        #expect(g.outputs == [TensorRef("inner", 1, 0), TensorRef("head")])
        // Only index 1 of a model called twice: ambiguous, so the version table decides.
        g = try decode(nestedConfig(innerClass: "Sequential", refs: (1, 1), outputs: #"[["head", 0, 0]]"#), k3)
        #expect(g.layers[3].calls == [[TensorRef("inner", 1, 0)]])
        g = try decode(nestedConfig(innerClass: "Sequential", refs: (1, 1), outputs: #"[["head", 0, 0]]"#),
                       ConfigDecoder(version: KerasVersion("2.15.0")))
        #expect(g.layers[3].calls == [[TensorRef("inner", 0, 0)]])
        _ = try model(g, "2.15.0")
    }

    @Test("the version table: Keras 1 layouts, recorded backends, nested first nodes, inferred versions")
    func versionTable() {
        #expect(KerasVersion("1.1.1").storesKeras1WeightLayouts && !KerasVersion("1.1.1").recordsBackend)
        #expect(!KerasVersion("2.0.4").storesKeras1WeightLayouts && KerasVersion("2.0.4").recordsBackend)
        #expect(KerasVersion("3.0.5").firstNodeIndex(ofNestedModel: "Sequential") == 0)
        #expect(KerasVersion("3.0.5").firstNodeIndex(ofNestedModel: "Functional") == 1)
        #expect(KerasVersion("2.2.4").firstNodeIndex(ofNestedModel: "Sequential") == 1)
        #expect(KerasVersion.inferredKeras3.isKeras3 && KerasVersion.inferredKeras3.hardSigmoidIsKeras3)
        #expect(KerasVersion.inferredKeras1.isKeras1)
        #expect(!KerasVersion("2.2.4").defaultGRUResetAfter && KerasVersion("3.1.0").defaultGRUResetAfter)
    }
}
