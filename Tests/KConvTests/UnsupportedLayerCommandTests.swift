import Foundation
import Testing

/// `kconv summary` on a model with Python-only layers refuses with one line naming each.
@Suite("kconv refuses Python-only layers")
struct UnsupportedLayerCommandTests {
    /// tf_keras 2.21 `to_json()` of `Lambda(lambda t: t * 2)`, `tf.math.pow(a, 2.0)`,
    /// `tf.math.reduce_prod(b, axis=1)` and a registered custom layer, trimmed to the keys kconv reads.
    static let config = #"""
        {"class_name": "Functional", "config": {"name": "model", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 3], "dtype": "float32", "name": "x"}, "name": "x", "inbound_nodes": []},
          {"class_name": "Lambda", "config": {"name": "lam", "function": ["4wEAAAAAAAAA", null, null], "function_type": "lambda", "module": "__main__"},
           "name": "lam", "inbound_nodes": [[["x", 0, 0, {}]]]},
          {"class_name": "TFOpLambda", "config": {"name": "tf.math.pow", "function": "math.pow"},
           "name": "tf.math.pow", "inbound_nodes": [["lam", 0, 0, {"y": 2.0, "name": null}]]},
          {"class_name": "TFOpLambda", "config": {"name": "tf.math.reduce_prod", "function": "math.reduce_prod"},
           "name": "tf.math.reduce_prod", "inbound_nodes": [["tf.math.pow", 0, 0, {"axis": 1}]]},
          {"class_name": "mypkg>MyLayer", "config": {"name": "mine", "trainable": true, "dtype": "float32"},
           "name": "mine", "inbound_nodes": [[["tf.math.reduce_prod", 0, 0, {}]]]}],
          "input_layers": [["x", 0, 0]], "output_layers": [["mine", 0, 0]]}, "keras_version": "2.21.0", "backend": "tensorflow"}
        """#

    @Test func summaryRefusesWithOneLine() throws {
        let path = temporaryFile("python_layers.json")
        try UnsupportedLayerCommandTests.config.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try KConvRun(["summary", path])
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        for part in ["'lam' is a Lambda", "'tf.math.pow' is a TFOpLambda calling tf.math.pow",
                     "'tf.math.reduce_prod' is a TFOpLambda calling tf.math.reduce_prod",
                     "custom class mypkg>MyLayer"] {
            #expect(run.stderr.contains(part), "\(part)")
        }
    }
}
