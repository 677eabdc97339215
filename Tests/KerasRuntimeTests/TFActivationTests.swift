import Foundation
import Testing
import TestSupport
@testable import KerasRuntime
import KConvOps

/// kconv's `tanh` and `sigmoid` against TensorFlow's own outputs for the same 20,480 inputs
/// (Tools/fixtures/make_activation_fixtures.py, TensorFlow 2.21): equal bit for bit.
@Suite("TensorFlow's tanh and sigmoid")
struct TFActivationTests {
    static let directory = Repository.fixtures("npy")

    static func load(_ name: String) throws -> [Float] {
        try Npy.read(directory.appendingPathComponent("tf_activation_\(name).npy")).scalars
    }

    @Test("tanh and sigmoid equal tf.tanh and tf.sigmoid bit for bit (NaN for NaN)", arguments: ["tanh", "sigmoid"])
    func bitForBit(_ name: String) throws {
        let x = try Self.load("x"), expected = try Self.load(name)
        try #require(x.count == expected.count && x.count > 20_000)
        // The layer path (AVX2 eight at a time where the CPU has it) and the scalar functions.
        var t = Tensor(x)
        (name == "tanh" ? Activation.tanh : Activation.sigmoid).apply(&t)
        let scalar = x.map(name == "tanh" ? Activation.tanh(_:) : Activation.sigmoid(_:))
        for (path, results) in [("apply", t.scalars), ("scalar", scalar)] {
            var differing: [(Float, Float, Float)] = []
            for (i, (ours, ref)) in zip(results, expected).enumerated()
            where ours.bitPattern != ref.bitPattern && !(ours.isNaN && ref.isNaN) {
                differing.append((x[i], ours, ref))
            }
            #expect(differing.isEmpty, "\(path): \(differing.count) differ, e.g. \(differing.prefix(3))")
        }
    }
}
