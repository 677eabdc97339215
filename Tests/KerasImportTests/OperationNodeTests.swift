import Foundation
import Testing
import TestSupport
import KerasImport
import KerasRuntime

/// Keras 3 records Python operators and `keras.ops` calls on Keras tensors as op nodes whose class
/// names can equal a layer's (`h * 0.5` is a `Multiply` from `keras.src.ops.numpy`). Until kconv
/// runs them, each is refused by name — never run as the merge or reshape layer of that name.
/// Files: `Tests/Fixtures/keras3_ops/`, written by Keras 3 through `Tools/fixtures/make_op_fixtures.py`.
@Suite("Keras 3 op nodes")
struct OperationNodeTests {
    static let fixtures = Repository.fixtures("keras3_ops")

    /// The error loading `name` gives; the test fails if it loads.
    func loadError(_ name: String) throws -> KerasError {
        let path = OperationNodeTests.fixtures.appendingPathComponent(name).path
        do {
            _ = try KerasImporter.load(path)
        } catch let e as KerasError {
            return e
        }
        throw KerasError(.format, "\(name) loaded; kconv would have run its op nodes as layers")
    }

    @Test("h * 0.5 is refused with the op's name, not run as a Multiply layer")
    func scale() throws {
        let e = try loadError("scale.keras")
        #expect(e.kind == .unsupported)
        #expect(e.description.contains("scale.keras"))
        #expect(e.description.contains("keras.src.ops.numpy.Multiply"), "\(e)")
        #expect(!e.description.contains("\n"))
    }

    @Test("every op node whose class name is a layer's is named in one error")
    func collisions() throws {
        let e = try loadError("collisions.keras")
        #expect(e.kind == .unsupported)
        // The op nodes Keras recorded (Tests/Fixtures/keras3_ops/README.md): each named, none run.
        let operations = ["numpy.Multiply", "numpy.Add", "numpy.Subtract", "numpy.Maximum", "numpy.Minimum",
                          "numpy.Concatenate", "numpy.Reshape", "nn.Softmax", "numpy.Average"]
        for operation in operations {
            #expect(e.description.contains("keras.src.ops.\(operation)"), "\(operation): \(e)")
        }
        #expect(e.description.hasPrefix("\(OperationNodeTests.fixtures.path)/collisions.keras: 9 problems"))
    }
}
