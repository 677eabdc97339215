import Testing
@testable import KerasRuntime
import KConvOps

/// The operation layer (OperationLayer) on canonical configs (the form ConfigDecoder writes and `.kconv` stores);
/// expected values are the arithmetic written out.
@Suite("Operation layer")
struct OperationTests {
    func operation(_ values: [String: JSON], className: String = "TFOpLambda") throws -> OperationLayer {
        var v = values
        v[LayerSpec.operationKey] = v[LayerSpec.operationKey] ?? .string("tf.op")
        // The config as a .kconv file holds it: written as text and read back.
        let text = JSON.object(v).serialized
        let read = try JSON(parsing: Array(text.utf8)).objectValue ?? [:]
        return try #require(try LayerRegistry.make(LayerConfig(className: className, name: "op", values: read, version: KerasVersion("2.21.0"))) as? OperationLayer)
    }

    func tensor(_ k: Int) -> JSON { .object(["tensor": .number(Double(k))]) }

    func refusal(_ values: [String: JSON], shapes: [Shape] = [[nil, 3]]) -> String {
        do {
            _ = try operation(values).outputShapes(for: shapes)
            return "no error"
        } catch let e as KerasError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    @Test("arithmetic: operands in the order written, constants either side, numpy broadcasting")
    func arithmetic() throws {
        let x = try Tensor(shape: [1, 2, 2], scalars: [1, 2, 3, 4])
        let row = try Tensor(shape: [1, 1, 2], scalars: [10, 20])
        let sub = try operation(["function": .string("subtract"), "arguments": .array([.number(1), tensor(0)])])
        #expect(try sub.call([x])[0].scalars == [0, -1, -2, -3])
        let div = try operation(["function": .string("divide"), "arguments": .array([tensor(0), .number(4)])])
        #expect(try div.call([x])[0].scalars == [0.25, 0.5, 0.75, 1])
        let add = try operation(["function": .string("add"), "arguments": .array([tensor(0), tensor(1)])])
        #expect(try add.call([x, row])[0].scalars == [11, 22, 13, 24])
        #expect(try add.outputShapes(for: [[nil, 2, 2], [nil, 1, 2]]) == [[nil, 2, 2]])
        // (None, 1, 4) with (None, 5, 4): the unknown batch stays unknown, 1 stretches to 5.
        #expect(try Broadcast.shape([nil, 1, 4], [nil, 5, 4], layer: "op") == [nil, 5, 4])
        #expect(throws: KerasError.self) { try Broadcast.shape([nil, 3], [nil, 4], layer: "op") }
    }

    @Test("getitem: index, negative index, step, Ellipsis, newaxis")
    func getitem() throws {
        // x (1, 3, 2) = [[0, 1], [2, 3], [4, 5]]; x[:, ::-2, None, -1] = [[[5], [1]]] of shape (1, 2, 1).
        let x = try Tensor(shape: [1, 3, 2], scalars: [0, 1, 2, 3, 4, 5])
        let op = try operation(["function": .string("getitem"), "arguments": .array([tensor(0)]), "slices": .array([
            .object(["start": .null, "stop": .null, "step": .null]), .object(["start": .null, "stop": .null, "step": .number(-2)]),
            .object(["newaxis": .bool(true)]), .object(["index": .number(-1)])])])
        #expect(try op.outputShapes(for: [[nil, 3, 2]]) == [[nil, 2, 1]])
        let y = try op.call([x])[0]
        #expect(y.shape == [1, 2, 1])
        #expect(y.scalars == [5, 1])
        // x[..., 0] = [0, 2, 4]; unknown lengths stay unknown.
        let first = try operation(["function": .string("getitem"), "arguments": .array([tensor(0)]), "slices": .array([
            .object(["ellipsis": .bool(true)]), .object(["index": .number(0)])])])
        #expect(try first.call([x])[0].scalars == [0, 2, 4])
        #expect(try first.outputShapes(for: [[nil, nil, 2]]) == [[nil, nil]])
    }

    @Test("mean over int or list axes, negative, keepdims")
    func mean() throws {
        let x = try Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let rows = try operation(["function": .string("mean"), "arguments": .array([tensor(0)]), "axis": .number(-1), "keepdims": .bool(true)])
        #expect(try rows.outputShapes(for: [[nil, 2, 3]]) == [[nil, 2, 1]])
        #expect(try rows.call([x])[0].scalars == [1, 4])
        let all = try operation(["function": .string("mean"), "arguments": .array([tensor(0)]), "axis": .array([.number(1), .number(2)])])
        #expect(try all.outputShapes(for: [[nil, 2, 3]]) == [[nil]])
        #expect(try all.call([x])[0].scalars == [2.5])
    }

    @Test("shape functions, casts, softmax and matmul keep the batch axis and refuse what would move it")
    func shapesAndRefusals() throws {
        func op(_ f: String, _ extra: [String: JSON] = [:]) -> [String: JSON] {
            extra.merging(["function": .string(f), "arguments": .array([tensor(0)])]) { a, _ in a }
        }
        let x = try Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let reshape = try operation(op("reshape", ["shape": .array([.number(-1), .number(3), .number(-1)])]))
        #expect(try reshape.outputShapes(for: [[nil, 2, 3]]) == [[nil, 3, 2]])
        #expect(try reshape.call([x])[0].shape == [1, 3, 2])
        let transpose = try operation(op("transpose", ["axes": .array([.number(0), .number(2), .number(1)])]))
        #expect(try transpose.call([x])[0].scalars == [0, 3, 1, 4, 2, 5])
        #expect(try operation(op("sum", ["axis": .number(1)])).call([x])[0].scalars == [3, 5, 7])
        #expect(try operation(op("max", ["axis": .number(-1)])).call([x])[0].scalars == [2, 5])
        #expect(try operation(op("squeeze", ["axis": .number(1)])).outputShapes(for: [[nil, 1, 3]]) == [[nil, 3]])
        let concat = try operation(["function": .string("concat"), "arguments": .array([.array([tensor(0), tensor(1)])]), "axis": .number(-1)])
        #expect(try concat.outputShapes(for: [[nil, 2, 3], [nil, 2, 1]]) == [[nil, 2, 4]])
        let matmul = try operation(["function": .string("matmul"), "arguments": .array([tensor(0), tensor(1)])])
        #expect(try matmul.call([x, try Tensor(shape: [1, 3, 1], scalars: [1, 1, 1])])[0].scalars == [3, 12])
        #expect(refusal(op("cast", ["dtype": .string("float64")]))
                == "layer 'op' (TFOpLambda): tf.op to \"float64\", a dtype kconv does not compute (it computes float32, integer types and bool)")
        #expect(refusal(op("reshape", ["shape": .array([.number(2), .number(-1)])]))
                == "layer 'op' (TFOpLambda): tf.op to [2, -1], which does not keep the batch dimension first as -1")
        #expect(refusal(op("transpose", ["axes": .array([.number(1), .number(0)])]))
                == "layer 'op' (TFOpLambda): tf.op with axes [1, 0], which do not keep the batch axis first")
        #expect(refusal(op("squeeze", ["axis": .number(1)])) == "layer 'op': cannot squeeze axis 1 of (None, 3), whose size is not 1")
        #expect(refusal(op("softmax", ["axis": .number(0)])) == "layer 'op' (TFOpLambda): a softmax over the batch axis is not supported")
        #expect(refusal(op("max", ["axis": .number(1), "initial": .number(0)])) == "layer 'op' (TFOpLambda): tf.op with an initial value")
        #expect(refusal(["function": .string("matmul"), "arguments": .array([tensor(0), tensor(1)]),
                         "operand_dtypes": .array([.string("bool"), .string("bool")])])
                == "layer 'op' (TFOpLambda): tf.op of bool and bool tensors (kconv multiplies float32 matrices)")
    }

    @Test("comparisons, where, floor division: 1 and 0 for booleans, floor of the float32 quotient or the exact integer one")
    func comparisonsAndSelection() throws {
        let x = try Tensor(shape: [1, 4], scalars: [-3, -0.5, 0.5, 7])
        func binary(_ f: String, _ b: JSON, dtypes: [String] = []) throws -> [Float] {
            var values: [String: JSON] = ["function": .string(f), "arguments": .array([tensor(0), b])]
            if !dtypes.isEmpty { values["operand_dtypes"] = .array(dtypes.map { .string($0) }) }
            return try operation(values).call([x])[0].scalars
        }
        #expect(try binary("greater", .number(-0.5)) == [0, 0, 1, 1])
        #expect(try binary("greater_equal", .number(-0.5)) == [0, 1, 1, 1])
        #expect(try binary("less", .number(0.5)) == [1, 1, 0, 0])
        #expect(try binary("less_equal", .number(0.5)) == [1, 1, 1, 0])
        // Floats: floor(x / 2) = floor(-1.5, -0.25, 0.25, 3.5); integers: -3 // 2 = -2, 7 // 2 = 3.
        #expect(try binary("floor_divide", .number(2)) == [-2, -1, 0, 3])
        let ints = try Tensor(shape: [1, 3], scalars: [-3, 0, 7])
        let floorDiv = try operation(["function": .string("floor_divide"), "arguments": .array([tensor(0), tensor(1)]),
                                      "operand_dtypes": .array([.string("int32"), .string("int32")])])
        #expect(try floorDiv.call([ints, try Tensor(shape: [1, 3], scalars: [2, 5, -2])])[0].scalars == [-2, 0, -4])
        #expect(throws: KerasError.self) { try floorDiv.call([ints, try Tensor(shape: [1, 3], scalars: [2, 0, 1])]) }
        // where(c, x, y) broadcasts all three: c (1, 4), x (1, 4), y a constant.
        let select = try operation(["function": .string("where"), "arguments": .array([tensor(0), tensor(1), .number(9)])])
        #expect(try select.call([try Tensor(shape: [1, 4], scalars: [1, 0, .nan, 0]), x])[0].scalars == [-3, 9, 0.5, 9])
        #expect(try select.outputShapes(for: [[nil, 1, 4], [nil, 3, 1]]) == [[nil, 3, 4]])
        let negative = try operation(["function": .string("negative"), "arguments": .array([tensor(0)])])
        #expect(try negative.call([x])[0].scalars == [3, 0.5, -0.5, -7])
    }

    @Test("casts to integers truncate toward zero, to bool give 1 for nonzero; integer results stay where float32 is exact")
    func integerCasts() throws {
        let x = try Tensor(shape: [1, 4], scalars: [-2.7, -0.2, 0, 3.9])
        func cast(_ dtype: String) throws -> OperationLayer {
            try operation(["function": .string("cast"), "arguments": .array([tensor(0)]), "dtype": .string(dtype)])
        }
        #expect(try cast("int32").call([x])[0].scalars == [-2, 0, 0, 3])
        #expect(try cast("bool").call([x])[0].scalars == [1, 1, 0, 1])
        // 2^24 + 2 is a float32, but int32 arithmetic on it would leave float32's exact range.
        let big = try Tensor(shape: [1, 1], scalars: [16_777_218])
        #expect(throws: KerasError.self) { try cast("int32").call([big]) }
        #expect(throws: KerasError.self) { try cast("int8").call([try Tensor(shape: [1, 1], scalars: [128])]) }
        #expect(try cast("uint8").call([try Tensor(shape: [1, 1], scalars: [255])])[0].scalars == [255])
        let product = try operation(["function": .string("multiply"), "arguments": .array([tensor(0), .number(4096)]),
                                     "operand_dtypes": .array([.string("int32")])])
        #expect(try product.call([try Tensor(shape: [1, 1], scalars: [4096])])[0].scalars == [16_777_216])
        do {
            _ = try product.call([try Tensor(shape: [1, 1], scalars: [4097])])
            Issue.record("no error")
        } catch let e as KerasError {
            #expect(e.message == "layer 'op' (tf.op): an int32 result 16781312 is outside -16777216...16777216, where kconv's float32 holds the int32 values exactly")
        }
        #expect(refusal(["function": .string("mean"), "arguments": .array([tensor(0)]), "axis": .number(1),
                         "operand_dtypes": .array([.string("int32")])])
                == "layer 'op' (TFOpLambda): tf.op of integers (TensorFlow's integer mean truncates; kconv does not compute it)")
    }

    @Test("one_hot, stack and split place their axis after the batch axis")
    func oneHotStackSplit() throws {
        let ids = try Tensor(shape: [1, 3], scalars: [2, -1, 0])
        let last = try operation(["function": .string("one_hot"), "arguments": .array([tensor(0)]), "depth": .number(3)])
        #expect(try last.call([ids])[0].scalars == [0, 0, 1, 0, 0, 0, 1, 0, 0])
        let first = try operation(["function": .string("one_hot"), "arguments": .array([tensor(0)]), "depth": .number(3),
                                   "axis": .number(1), "on_value": .number(5), "off_value": .number(-1)])
        #expect(try first.outputShapes(for: [[nil, 3]]) == [[nil, 3, 3]])
        #expect(try first.call([ids])[0].scalars == [-1, -1, 5, -1, -1, -1, 5, -1, -1])
        let x = try Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let stack = try operation(["function": .string("stack"), "arguments": .array([.array([tensor(0), tensor(0)])]), "axis": .number(-1)])
        #expect(try stack.call([x])[0].shape == [1, 2, 3, 2])
        #expect(try stack.call([x])[0].scalars == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        let sizes = try operation(["function": .string("split"), "arguments": .array([tensor(0)]), "axis": .number(2),
                                   "split_sizes": .array([.number(-1), .number(1)])])
        #expect(try sizes.call([x]).map(\.scalars) == [[0, 1, 3, 4], [2, 5]])
        let indices = try operation(["function": .string("split"), "arguments": .array([tensor(0)]), "axis": .number(-1),
                                     "split_indices": .array([.number(1)])])
        #expect(try indices.outputShapes(for: [[nil, 2, 3]]) == [[nil, 2, 1], [nil, 2, 2]])
        #expect(refusal(["function": .string("split"), "arguments": .array([tensor(0)]), "split_sizes": .number(3)])
                == "layer 'op': a split along the batch axis is not supported")
        #expect(refusal(["function": .string("stack"), "arguments": .array([.array([tensor(0)])]), "axis": .number(0)])
                == "layer 'op' (TFOpLambda): stack along the batch axis")
    }

    @Test("refusals name the layer and the reason")
    func refusals() {
        #expect(refusal(["function": .string("mean"), "arguments": .array([tensor(0)]), "axis": .number(0)])
                == "layer 'op' (TFOpLambda): a mean over the batch axis is not supported")
        #expect(refusal(["function": .string("mean"), "arguments": .array([tensor(0)])])
                == "layer 'op' (TFOpLambda): a mean over every axis, the batch axis included, is not supported")
        #expect(refusal(["function": .string("getitem"), "arguments": .array([tensor(0)]), "slices": .array([.object(["index": .number(0)])])])
                == "layer 'op': indexing the batch axis is not supported")
        #expect(refusal(["function": .string("getitem"), "arguments": .array([tensor(0)]), "slices": .array([
            .object(["start": .null, "stop": .null, "step": .null]), .object(["index": .number(3)])])])
                == "layer 'op': index 3 is out of range for axis 1 of size 3")
        #expect(refusal(["function": .string("add"), "arguments": .array([.number(1), .number(2)])])
                == "layer 'op' (TFOpLambda): tf.op of two constants")
        #expect(refusal(["function": .string("getitem"), "arguments": .array([tensor(0)]), "slices": .array([
            .object(["start": .null, "stop": .null, "step": .number(0)])])])
                == "layer 'op' (TFOpLambda): a slice step of 0")
        #expect(refusal(["arguments": .array([tensor(0)])]).hasPrefix("layer 'op' is a TFOpLambda calling tf.op, which kconv does not run"))
    }
}
