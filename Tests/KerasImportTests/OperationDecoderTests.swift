import Testing
@testable import KerasImport
@testable import KerasRuntime

/// tf_keras TFOpLambda / SlicingOpLambda nodes and Keras 3 op nodes decode into one canonical
/// operation config (configs as tf_keras 2.21 and Keras 3.15.1 write them, trimmed).
@Suite("Operation decoding")
struct OperationDecoderTests {
    func layer(_ g: GraphSpec, _ name: String) throws -> LayerSpec {
        try #require(g.layers.first { $0.name == name })
    }

    func decode(_ layers: String, outputs: String, version: String) throws -> GraphSpec {
        try ConfigDecoder(version: KerasVersion(version)).decodeModel(JSON(parsing: """
            {"class_name": "Functional", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 6, 4], "name": "x"}, "name": "x", "inbound_nodes": []},
              \(layers)], "input_layers": [["x", 0, 0]], "output_layers": \(outputs)}}
            """))
    }

    @Test("tf_keras: tensor kwargs, _CONSTANT_VALUE operands, slice_spec, reduce_mean kwargs")
    func tfKeras() throws {
        let g = try decode("""
            {"class_name": "TFOpLambda", "config": {"name": "tf.__operators__.add", "function": "__operators__.add"},
             "name": "tf.__operators__.add", "inbound_nodes": [["x", 0, 0, {"y": ["x", 0, 0], "name": null}]]},
            {"class_name": "TFOpLambda", "config": {"name": "tf.math.subtract", "function": "math.subtract"},
             "name": "tf.math.subtract", "inbound_nodes": [["_CONSTANT_VALUE", -1, 1.0, {"y": ["tf.__operators__.add", 0, 0], "name": null}]]},
            {"class_name": "SlicingOpLambda", "config": {"name": "tf.__operators__.getitem", "function": "__operators__.getitem"},
             "name": "tf.__operators__.getitem", "inbound_nodes": [["tf.math.subtract", 0, 0, {"slice_spec": [{"start": null, "stop": null, "step": null}, -1, {"class_name": "__ellipsis__"}, null]}]]},
            {"class_name": "TFOpLambda", "config": {"name": "tf.math.reduce_mean", "function": "math.reduce_mean"},
             "name": "tf.math.reduce_mean", "inbound_nodes": [["tf.math.subtract", 0, 0, {"axis": [1, -1], "keepdims": true}]]},
            {"class_name": "TFOpLambda", "config": {"name": "tf.math.pow", "function": "math.pow"},
             "name": "tf.math.pow", "inbound_nodes": [["x", 0, 0, {"y": 0.5, "name": null}]]}
            """, outputs: #"[["tf.__operators__.getitem", 0, 0], ["tf.math.reduce_mean", 0, 0], ["tf.math.pow", 0, 0]]"#,
            version: "2.21.0")
        let add = try layer(g, "tf.__operators__.add")
        #expect(add.calls == [[TensorRef("x"), TensorRef("x")]])
        #expect(add.config["function"] == .string("add"))
        #expect(add.config[LayerSpec.operationKey] == .string("tf.__operators__.add"))
        #expect(add.config["arguments"] == .array([.object(["tensor": .number(0)]), .object(["tensor": .number(1)])]))
        let sub = try layer(g, "tf.math.subtract")
        #expect(sub.calls == [[TensorRef("tf.__operators__.add")]])
        #expect(sub.config["arguments"] == .array([.number(1), .object(["tensor": .number(0)])]))
        let item = try layer(g, "tf.__operators__.getitem")
        #expect(item.config["function"] == .string("getitem"))
        #expect(item.config["slices"] == .array([
            .object(["start": .null, "stop": .null, "step": .null]), .object(["index": .number(-1)]),
            .object(["ellipsis": .bool(true)]), .object(["newaxis": .bool(true)])]))
        let mean = try layer(g, "tf.math.reduce_mean")
        #expect(mean.config["axis"] == .array([.number(1), .number(-1)]))
        #expect(mean.config["keepdims"] == .bool(true))
        // Unknown: kept with its operands but no function; refused by name, with the others running.
        let pow = try layer(g, "tf.math.pow")
        #expect(pow.config["function"] == nil)
        #expect(pow.config["keywords"] == .object(["y": .number(0.5)]))
        do {
            _ = try LayerGraph(spec: g, version: KerasVersion("2.21.0"), weights: nil)
            Issue.record("tf.math.pow ran")
        } catch let e as KerasError {
            #expect(e.message == "layer 'tf.math.pow' is a TFOpLambda calling tf.math.pow, which kconv does not run (of TensorFlow functions it runs +, -, *, /, //, comparisons, tf.where, x[...], tf.reduce_mean/sum/max/min, tf.maximum, tf.minimum, tf.cast, tf.exp, tf.math.log, tf.sqrt, tf.square, tf.abs, tf.negative, tf.tanh, tf.sigmoid, tf.nn.relu, tf.math.erf, tf.clip_by_value, tf.reshape, tf.transpose, tf.expand_dims, tf.squeeze, tf.concat, tf.stack, tf.split, tf.one_hot, tf.nn.softmax and tf.matmul)")
        }
    }

    @Test("tf_keras: operand types follow the model's tensors: an int32 input, a comparison's booleans, casts")
    func tfKerasOperandTypes() throws {
        let g = try ConfigDecoder(version: KerasVersion("2.21.0")).decodeModel(JSON(parsing: """
            {"class_name": "Functional", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 6], "dtype": "int32", "name": "ids"}, "name": "ids", "inbound_nodes": []},
              {"class_name": "TFOpLambda", "config": {"name": "tf.compat.v1.floor_div", "function": "compat.v1.floor_div"},
               "name": "tf.compat.v1.floor_div", "inbound_nodes": [["ids", 0, 0, {"y": 2, "name": null}]]},
              {"class_name": "TFOpLambda", "config": {"name": "tf.math.greater", "function": "math.greater"},
               "name": "tf.math.greater", "inbound_nodes": [["tf.compat.v1.floor_div", 0, 0, {"y": 0, "name": null}]]},
              {"class_name": "TFOpLambda", "config": {"name": "tf.where", "function": "where"},
               "name": "tf.where", "inbound_nodes": [["tf.math.greater", 0, 0, {"x": ["ids", 0, 0], "y": ["tf.compat.v1.floor_div", 0, 0]}]]},
              {"class_name": "TFOpLambda", "config": {"name": "tf.cast", "function": "cast"},
               "name": "tf.cast", "inbound_nodes": [["tf.where", 0, 0, {"dtype": "float32"}]]},
              {"class_name": "TFOpLambda", "config": {"name": "tf.math.multiply", "function": "math.multiply"},
               "name": "tf.math.multiply", "inbound_nodes": [["tf.cast", 0, 0, {"y": 0.5, "name": null}]]}
              ], "input_layers": [["ids", 0, 0]], "output_layers": [["tf.math.multiply", 0, 0]]}}
            """))
        #expect(try layer(g, "tf.compat.v1.floor_div").config["operand_dtypes"] == .array([.string("int32")]))
        #expect(try layer(g, "tf.math.greater").config["operand_dtypes"] == .array([.string("int32")]))
        let select = try layer(g, "tf.where")
        #expect(select.config["operand_dtypes"] == .array([.string("bool"), .string("int32"), .string("int32")]))
        #expect(select.config["arguments"] == .array([.object(["tensor": .number(0)]), .object(["tensor": .number(1)]), .object(["tensor": .number(2)])]))
        #expect(try layer(g, "tf.cast").config["operand_dtypes"] == .array([.string("int32")]))
        #expect(try layer(g, "tf.math.multiply").config["operand_dtypes"] == nil)
    }

    @Test("Keras 3: args with tensors and constants, GetItem keys, Mean options; shapes as Keras infers them")
    func keras3() throws {
        func tensor(_ name: String) -> String {
            #"{"class_name": "__keras_tensor__", "config": {"shape": [null, 6, 4], "dtype": "float32", "keras_history": ["\#(name)", 0, 0]}}"#
        }
        let g = try decode("""
            {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"}, "name": "multiply",
             "inbound_nodes": [{"args": [2.0, \(tensor("x"))], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "GetItem", "config": {"name": "get_item"}, "name": "get_item",
             "inbound_nodes": [{"args": [\(tensor("multiply")), [{"class_name": "__slice__", "config": {"start": null, "stop": null, "step": null}}, {"class_name": "__slice__", "config": {"start": 1, "stop": null, "step": 2}}]], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "Mean", "config": {"name": "mean", "axis": 1, "keepdims": false}, "name": "mean",
             "inbound_nodes": [{"args": [\(tensor("multiply"))], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "Add", "config": {"name": "add"}, "name": "add",
             "inbound_nodes": [{"args": [\(tensor("mean")), \(tensor("get_item"))], "kwargs": {}}]}
            """, outputs: #"[["add", 0, 0]]"#, version: "3.15.1")
        let multiply = try layer(g, "multiply")
        #expect(multiply.className == "Multiply")
        #expect(multiply.config["arguments"] == .array([.number(2), .object(["tensor": .number(0)])]))
        #expect(try layer(g, "get_item").config["slices"] == .array([
            .object(["start": .null, "stop": .null, "step": .null]), .object(["start": .number(1), "stop": .null, "step": .number(2)])]))
        #expect(try layer(g, "mean").config["axis"] == .number(1))
        #expect(try layer(g, "add").calls == [[TensorRef("mean"), TensorRef("get_item")]])
        let s = ModelSummary(try LayerGraph(spec: g, version: KerasVersion("3.15.1"), weights: nil))
        #expect(s.rows.map(\.className) == ["InputLayer", "Multiply", "GetItem", "Mean", "Add"])
        // h[:, 1::2] of (None, 6, 4) is (None, 3, 4); the mean over axis 1 is (None, 4), read as (1, None, 4).
        #expect(s.rows.map(\.outputShape) == [.single([nil, 6, 4]), .single([nil, 6, 4]), .single([nil, 3, 4]),
                                             .single([nil, 4]), .single([nil, 3, 4])])
    }

    @Test("Keras 3 legacy .h5: op nodes have no module; a config without trainable/dtype marks them, layers stay layers")
    func keras3LegacyH5() throws {
        func tensor(_ name: String) -> String {
            #"{"class_name": "__keras_tensor__", "config": {"shape": [null, 6, 4], "dtype": "float32", "keras_history": ["\#(name)", 0, 0]}}"#
        }
        let g = try decode("""
            {"class_name": "Multiply", "config": {"name": "multiply"}, "name": "multiply",
             "inbound_nodes": [{"args": [\(tensor("x")), 0.5], "kwargs": {}}]},
            {"class_name": "Transpose", "config": {"name": "transpose", "axes": [0, 2, 1]}, "name": "transpose",
             "inbound_nodes": [{"args": [\(tensor("x"))], "kwargs": {}}]},
            {"class_name": "Clip", "config": {"name": "clip", "x_min": -0.5, "x_max": 0.5}, "name": "clip",
             "inbound_nodes": [{"args": [\(tensor("x"))], "kwargs": {}}]},
            {"class_name": "Cast", "config": {"name": "cast", "dtype": "float32"}, "name": "cast",
             "inbound_nodes": [{"args": [\(tensor("x"))], "kwargs": {}}]},
            {"class_name": "Max", "config": {"name": "max", "axis": 1, "keepdims": false, "initial": null}, "name": "max",
             "inbound_nodes": [{"args": [\(tensor("x"))], "kwargs": {}}]},
            {"class_name": "Cumsum", "config": {"name": "cumsum"}, "name": "cumsum",
             "inbound_nodes": [{"args": [\(tensor("x")), 0.3], "kwargs": {}}]},
            {"class_name": "Add", "config": {"name": "add", "trainable": true, "dtype": "float32"}, "name": "add",
             "inbound_nodes": [{"args": [[\(tensor("multiply")), \(tensor("x"))]], "kwargs": {}}]}
            """, outputs: #"[["add", 0, 0], ["cumsum", 0, 0], ["transpose", 0, 0], ["clip", 0, 0], ["cast", 0, 0], ["max", 0, 0]]"#, version: "3.15.1")
        let multiply = try layer(g, "multiply")
        #expect(multiply.config[LayerSpec.operationKey] == .string("keras.src.ops.numpy.Multiply"))
        #expect(multiply.config["arguments"] == .array([.object(["tensor": .number(0)]), .number(0.5)]))
        #expect(try layer(g, "cumsum").config[LayerSpec.operationKey] == .string("keras.ops.Cumsum"))
        #expect(try layer(g, "add").config[LayerSpec.operationKey] == nil)
        // Keras 3.15.1's legacy .h5 configs of keras.ops.transpose, clip, cast and max (no trainable key).
        #expect(try layer(g, "transpose").config["axes"] == .array([.number(0), .number(2), .number(1)]))
        #expect(try layer(g, "clip").config["function"] == .string("clip"))
        #expect(try layer(g, "cast").config["dtype"] == .string("float32"))
        #expect(try layer(g, "max").config["function"] == .string("max"))
        do {
            _ = try LayerGraph(spec: g, version: KerasVersion("3.15.1"), weights: nil)
            Issue.record("the Cumsum op node ran")
        } catch let e as KerasError {
            #expect(e.message == "layer 'cumsum' is the Keras 3 operation keras.ops.Cumsum (a Python operator or keras.ops call on Keras tensors), which kconv does not run")
        }
    }
}
