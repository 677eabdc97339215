import Foundation
import Testing
import TestSupport
@testable import KerasImport
@testable import KerasRuntime

/// Keras 3 records Python operators and `keras.ops` calls on Keras tensors as op nodes whose class
/// names can equal a layer's (`h * 0.5` is a `Multiply` from `keras.src.ops.numpy`).
/// kconv runs the op nodes it knows as operations (never as the merge layer of the same name) and refuses the others by name, all in one error.
/// Files: `Tests/Fixtures/keras3_ops/`, written by Keras 3 through `Tools/fixtures/make_op_fixtures.py`.
@Suite("Keras 3 op nodes")
struct OperationNodeTests {
    static let fixtures = Repository.fixtures("keras3_ops")

    /// The op nodes of collisions.keras in output order (README.md there), and whether kconv runs them.
    static let collisions: [(operation: String, runs: Bool)] = [
        ("numpy.Multiply", true), ("numpy.Add", true), ("numpy.Subtract", true), ("numpy.Maximum", true),
        ("numpy.Minimum", true), ("numpy.Concatenate", true), ("numpy.Reshape", true), ("nn.Softmax", true),
        ("numpy.Average", false),
    ]

    func path(_ name: String) -> String { OperationNodeTests.fixtures.appendingPathComponent(name).path }

    func npy(_ name: String) throws -> Tensor { try Npy.read(OperationNodeTests.fixtures.appendingPathComponent(name)) }

    /// The error loading `name` gives; the test fails if it loads.
    func loadError(_ name: String) throws -> KerasError {
        do {
            _ = try KerasImporter.load(path(name))
        } catch let e as KerasError {
            return e
        }
        throw KerasError(.format, "\(name) loaded; kconv would have run unsupported op nodes")
    }

    func expectClose(_ y: Tensor, _ expected: Tensor, _ what: String) {
        #expect(y.shape == expected.shape, "\(what)")
        guard y.shape == expected.shape else { return }
        let worst = zip(y.scalars, expected.scalars).map { abs($0 - $1) - 1e-5 * (1 + abs($1)) }.max() ?? 0
        #expect(worst <= 0, "\(what): outside 1e-5 by \(worst)")
    }

    @Test("h * 0.5 runs as the operation multiply and gives Keras' output")
    func scale() throws {
        let model = try KerasImporter.load(path("scale.keras"))
        expectClose(try model.predict(try npy("scale_input.npy")), try npy("scale_expected.npy"), "h * 0.5")
        #expect(model.summary.rows.map(\.className) == ["InputLayer", "Dense", "Multiply"])
    }

    @Test("the op node kconv does not run (Average) is named in the error; the others are not")
    func refusedInOneError() throws {
        let e = try loadError("collisions.keras")
        #expect(e.kind == .unsupported)
        let refused = OperationNodeTests.collisions.filter { !$0.runs }
        let lead = refused.count == 1 ? "layer '" : "\(refused.count) problems"
        #expect(e.description.hasPrefix("\(path("collisions.keras")): \(lead)"), "\(e)")
        #expect(!e.description.contains("\n"))
        for (operation, runs) in OperationNodeTests.collisions {
            #expect(e.description.contains("keras.src.ops.\(operation)") == !runs, "\(operation): \(e)")
        }
    }

    /// collisions.keras with only the outputs whose op nodes kconv runs (the others pruned).
    func runnableCollisions() throws -> (graph: LayerGraph, outputs: [Int]) {
        let archive = try KerasArchive(path: path("collisions.keras"))
        let version = KerasVersion(archive.kerasVersion ?? "3.15.1")
        var spec = try ConfigDecoder(version: version).decodeModel(archive.config)
        let outputs = OperationNodeTests.collisions.indices.filter { OperationNodeTests.collisions[$0].runs }
        let kept = Set(outputs.map { spec.outputs[$0].layer })
        let refused = Set(spec.outputs.map(\.layer)).subtracting(kept)
        spec.layers.removeAll { refused.contains($0.name) }
        spec.outputs = outputs.map { spec.outputs[$0] }
        let file = try HDF5File(image: archive.weightsImage ?? [], name: "collisions.keras weights")
        let weights = try Keras3Weights(file: file, graph: spec, version: version)
        return (try LayerGraph(spec: spec, version: version, weights: weights), outputs)
    }

    @Test("no op node runs as a different operation", arguments: OperationNodeTests.collisions.indices)
    func collision(_ index: Int) throws {
        let (operation, runs) = OperationNodeTests.collisions[index]
        guard runs else {
            #expect(try loadError("collisions.keras").description.contains("keras.src.ops.\(operation)"))
            return
        }
        let (graph, outputs) = try runnableCollisions()
        let model = try KerasModel(graph: graph, provenance: nil)
        let ys = try model.predict([try npy("collisions_input.npy")])
        let position = try #require(outputs.firstIndex(of: index))
        expectClose(ys[position], try npy("collisions_expected_\(index).npy"), operation)
        let layer = try #require(graph.spec.layers.first { $0.name == graph.spec.outputs[position].layer })
        #expect(layer.config[LayerSpec.operationKey]?.stringValue == "keras.src.ops.\(operation)")
    }
}
