import Testing
@testable import KerasRuntime

/// Layers whose Python code is not in the file: each is named with its reason, all in one error.
@Suite struct UnsupportedLayerTests {
    private func config(_ className: String, _ name: String, _ values: [String: JSON] = [:]) -> LayerConfig {
        LayerConfig(className: className, name: name, values: values, version: KerasVersion("2.15.0"))
    }

    private func message(_ c: LayerConfig) -> String {
        do {
            _ = try LayerRegistry.make(c)
            return "no error"
        } catch let e as KerasError {
            #expect(e.kind == .unsupported)
            return e.message
        } catch {
            return "\(error)"
        }
    }

    @Test func eachKindHasItsReason() {
        #expect(message(config("Lambda", "lambda_3", ["function_type": .string("lambda")]))
                == "layer 'lambda_3' is a Lambda: its Python code cannot be run outside Python")
        let op = message(config("TFOpLambda", "tf.math.multiply", ["function": .string("math.multiply")]))
        #expect(op.hasPrefix("layer 'tf.math.multiply' is a TFOpLambda calling tf.math.multiply, which kconv does not run"))
        let slice = message(config("SlicingOpLambda", "tf.__operators__.getitem", ["function": .string("__operators__.getitem")]))
        #expect(slice.hasPrefix("layer 'tf.__operators__.getitem' is a SlicingOpLambda calling tf.__operators__.getitem, which kconv does not run"))
        #expect(message(config("mypkg>MyLayer", "mine")) == "layer 'mine' has the custom class mypkg>MyLayer: its Python code is not in the file")
        #expect(message(config("Plain", "plain")).hasPrefix("layer 'plain' has class Plain, which kconv does not support"))
    }

    @Test func preflightCollectsEveryLayer() throws {
        func layer(_ cls: String, _ name: String, _ input: String, _ extra: [String: JSON] = [:]) -> LayerSpec {
            LayerSpec(className: cls, name: name, config: extra.merging(["name": .string(name)]) { a, _ in a },
                      calls: [[TensorRef(input)]])
        }
        let graph = GraphSpec(name: "m", isSequential: false, layers: [
            LayerSpec(className: "InputLayer", name: "x", config: ["name": .string("x"), "batch_input_shape": .array([.null, .number(3)])], calls: []),
            layer("Lambda", "lam", "x"),
            layer("TFOpLambda", "tf.math.reduce_sum", "lam", ["function": .string("math.reduce_sum")]),
            layer("Dense", "ok", "tf.math.reduce_sum", ["units": .number(2)]),
            layer("mypkg>MyLayer", "mine", "ok"),
        ], inputs: [TensorRef("x")], outputs: [TensorRef("mine")])
        do {
            _ = try LayerGraph(spec: graph, version: KerasVersion("2.15.0"), weights: nil)
            Issue.record("expected an error")
        } catch let e as KerasError {
            #expect(e.kind == .unsupported)
            #expect(e.message.hasPrefix("3 problems: layer 'lam' is a Lambda"))
            #expect(e.message.contains("tf.math.reduce_sum"))
            #expect(e.message.contains("custom class mypkg>MyLayer"))
            #expect(!e.message.contains("'ok'"))
            #expect(!e.description.contains("\n"))
        }
    }
}
