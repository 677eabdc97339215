import Foundation
import Testing
@testable import KerasRuntime

/// Small models built in code, and helpers to take `.kconv` bytes apart and put them back together.
enum KConvFixtures {
    /// Weights looked up by layer name.
    struct Weights: WeightSource {
        let byLayer: [String: [Tensor]]
        func weights(forLayer name: String) throws -> [WeightReader.Stored] {
            (byLayer[name] ?? []).enumerated().map { .init(name: "\(name)/\($0)", tensor: $1) }
        }
    }

    /// `count` deterministic values in about [-1, 1].
    static func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { i in Float(sin(Double(i * 7 + seed * 13) * 0.37)) }
    }

    static func tensor(_ shape: [Int], seed: Int) -> Tensor {
        // The shapes here are small and valid.
        (try? Tensor(shape: shape, scalars: values(Tensor.elementCount(shape) ?? 0, seed: seed))) ?? Tensor(zeros: [0])
    }

    static func input(_ name: String, _ dims: [Int]) -> LayerSpec {
        LayerSpec(className: "InputLayer", name: name,
                  config: ["batch_input_shape": .array([.null] + dims.map { .number(Double($0)) }), "name": .string(name)],
                  calls: [])
    }

    static func dense(_ name: String, units: Int, activation: String, on input: String) -> LayerSpec {
        LayerSpec(className: "Dense", name: name,
                  config: ["units": .number(Double(units)), "activation": .string(activation), "use_bias": .bool(true), "name": .string(name)],
                  calls: [[TensorRef(input)]])
    }

    /// `x (None, 3)` → Dense(4, relu) `hidden` → Dense(2) `out`.
    static func mlp() throws -> LayerGraph {
        let spec = GraphSpec(name: "mlp", isSequential: false, layers: [
            input("x", [3]),
            dense("hidden", units: 4, activation: "relu", on: "x"),
            dense("out", units: 2, activation: "linear", on: "hidden"),
        ], inputs: [TensorRef("x")], outputs: [TensorRef("out")])
        return try LayerGraph(spec: spec, version: KerasVersion("2.21.0"), weights: Weights(byLayer: [
            "hidden": [tensor([3, 4], seed: 1), tensor([4], seed: 2)],
            "out": [tensor([4, 2], seed: 3), tensor([2], seed: 4)],
        ]))
    }

    /// Two inputs `a (None, 3)`, `b (None, 5)`, each through its own Dense; two outputs.
    static func twoHeads() throws -> LayerGraph {
        let spec = GraphSpec(name: "two", isSequential: false, layers: [
            input("a", [3]), input("b", [5]),
            dense("da", units: 2, activation: "tanh", on: "a"),
            dense("db", units: 3, activation: "sigmoid", on: "b"),
        ], inputs: [TensorRef("a"), TensorRef("b")], outputs: [TensorRef("da"), TensorRef("db")])
        return try LayerGraph(spec: spec, version: KerasVersion("2.21.0"), weights: Weights(byLayer: [
            "da": [tensor([3, 2], seed: 5), tensor([2], seed: 6)],
            "db": [tensor([5, 3], seed: 7), tensor([3], seed: 8)],
        ]))
    }

    /// `seq (None, 6, 3)` → LSTM(4, return_state) with three outputs, all named after the layer.
    static func lstmWithState() throws -> LayerGraph {
        let spec = GraphSpec(name: "rnn", isSequential: false, layers: [
            input("seq", [6, 3]),
            LayerSpec(className: "LSTM", name: "lstm",
                      config: ["units": .number(4), "return_state": .bool(true), "name": .string("lstm"),
                               "activation": .string("tanh"), "recurrent_activation": .string("sigmoid")],
                      calls: [[TensorRef("seq")]]),
        ], inputs: [TensorRef("seq")], outputs: [TensorRef("lstm", 0, 0), TensorRef("lstm", 0, 1), TensorRef("lstm", 0, 2)])
        return try LayerGraph(spec: spec, version: KerasVersion("2.21.0"), weights: Weights(byLayer: [
            "lstm": [tensor([3, 16], seed: 9), tensor([4, 16], seed: 10), tensor([16], seed: 11)],
        ]))
    }

    static let provenance = Provenance(kerasVersion: "2.21.0", backend: "tensorflow", sourceName: "mlp.h5",
                                                 sourceSHA256: String(repeating: "ab", count: 32))

    /// The `.kconv` bytes of the MLP with one stored test vector pair.
    static func mlpBytes() throws -> [UInt8] {
        let model = try mlp()
        let x = tensor([2, 3], seed: 12)
        let y = try model.predict([x])
        return try KConvFile.encode(model, provenance: provenance,
                                    testVectors: StoredTestVectors(inputs: [x], expected: y, note: "test", tolerance: 1e-5))
    }

    /// A file taken apart: header JSON and data bytes.
    struct Parts {
        var header: [String: JSON]
        var data: [UInt8]

        init(_ bytes: [UInt8]) throws {
            let n = Int(SafeTensors.readLength(bytes))
            let json = try JSON(parsing: bytes[8..<(8 + n)])
            guard let object = json.objectValue else { throw KerasError(.format, "test fixture: header is not an object") }
            header = object
            data = Array(bytes[(8 + n)...])
        }

        /// The bytes with this header (not padded, so offsets are whatever the header says).
        var bytes: [UInt8] { KConvFixtures.assemble(Array(JSON.object(header).serialized.utf8), data) }

        var metadata: [String: JSON] {
            get { header["__metadata__"]?.objectValue ?? [:] }
            set { header["__metadata__"] = .object(newValue) }
        }

        /// Changes one field of a tensor's header entry.
        mutating func set(_ tensor: String, _ key: String, _ value: JSON) {
            var entry = header[tensor]?.objectValue ?? [:]
            entry[key] = value
            header[tensor] = .object(entry)
        }
    }

    static func assemble(_ header: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) }
        out += header
        out += data
        return out
    }

    /// The error decoding `bytes` gives (nil if it decodes).
    static func error(_ bytes: [UInt8]) -> KerasError? {
        do {
            _ = try KConvFile.decode(bytes, name: "bad.kconv")
            return nil
        } catch {
            return error as? KerasError
        }
    }
}
