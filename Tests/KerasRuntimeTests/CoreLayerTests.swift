import Foundation
import Testing
@testable import KerasRuntime

/// Builds a layer from a config written out in the test, with the given weights.
func makeLayer(_ className: String, _ config: [String: JSON], inputShapes: [Shape],
               weights: [Tensor] = [], version: String = "2.15.0") throws -> any Layer {
    var values = config
    values["name"] = values["name"] ?? .string("layer")
    var layer = try LayerRegistry.make(LayerConfig(className: className, name: values["name"]!.stringValue!, values: values, version: KerasVersion(version)))
    var reader = WeightReader(layerName: layer.name, stored: weights.enumerated().map { .init(name: "w\($0)", tensor: $1) })
    try layer.build(inputShapes: inputShapes, weights: &reader)
    try reader.finish()
    return layer
}

func close(_ a: [Float], _ b: [Double], tolerance: Double = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tolerance * (1 + abs($1)) }
}

@Suite("Dense, Activation and reshaping layers")
struct CoreLayerTests {
    @Test("Dense computes x·W + b over the last axis of a rank-3 input")
    func denseRank3() throws {
        // W = [[1, 2], [3, 4], [5, 6]], b = [0.5, -1]; rows x = [1, 0, -1] and [2, 1, 0].
        let kernel = try Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let bias = Tensor([0.5, -1])
        let dense = try makeLayer("Dense", ["units": .number(2)], inputShapes: [[nil, 2, 3]], weights: [kernel, bias])
        #expect(try dense.outputShapes(for: [[nil, 2, 3]]) == [[nil, 2, 2]])
        let x = try Tensor(shape: [1, 2, 3], scalars: [1, 0, -1, 2, 1, 0])
        let y = try dense.call([x])[0]
        // [1·1 + 0·3 − 1·5 + 0.5, 1·2 + 0·4 − 1·6 − 1] = [−3.5, −5]; [2 + 3 + 0.5, 4 + 4 − 1] = [5.5, 7]
        #expect(y.shape == [1, 2, 2])
        #expect(y.scalars == [-3.5, -5, 5.5, 7])
    }

    @Test("Dense checks its weights' shapes against the config")
    func denseWeightShape() throws {
        #expect(throws: KerasError.self) {
            try makeLayer("Dense", ["units": .number(2)], inputShapes: [[nil, 3]], weights: [Tensor(zeros: [3, 3]), Tensor(zeros: [2])])
        }
        #expect(throws: KerasError.self) {   // use_bias=false: a bias in the file is one weight too many
            try makeLayer("Dense", ["units": .number(2), "use_bias": .bool(false)], inputShapes: [[nil, 3]],
                          weights: [Tensor(zeros: [3, 2]), Tensor(zeros: [2])])
        }
    }

    static let xs: [Float] = [-4, -1.5, -0.25, 0, 0.3, 1, 2.5, 5]

    /// Each activation against its formula (KERAS_FORMATS.md 3.15), evaluated in Double.
    static let formulas: [(String, String, @Sendable (Double) -> Double)] = [
        ("linear", "2.15.0", { $0 }),
        ("relu", "2.15.0", { max($0, 0) }),
        ("tanh", "2.15.0", { Foundation.tanh($0) }),
        ("sigmoid", "2.15.0", { 1 / (1 + exp(-$0)) }),
        ("hard_sigmoid", "2.2.4", { min(max(0.2 * $0 + 0.5, 0), 1) }),
        ("hard_sigmoid", "3.3.0", { min(max($0 / 6 + 0.5, 0), 1) }),
        ("elu", "2.15.0", { $0 > 0 ? $0 : exp($0) - 1 }),
        ("selu", "2.15.0", { 1.0507009873554804934193349852946 * ($0 > 0 ? $0 : 1.6732632423543772848170429916717 * (exp($0) - 1)) }),
        ("softplus", "2.15.0", { log(1 + exp($0)) }),
        ("softsign", "2.15.0", { $0 / (1 + abs($0)) }),
        ("swish", "2.15.0", { $0 / (1 + exp(-$0)) }),
        ("silu", "3.3.0", { $0 / (1 + exp(-$0)) }),
        ("gelu", "2.15.0", { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
        ("exponential", "2.15.0", { exp($0) }),
    ]

    @Test("each activation follows its formula", arguments: 0..<formulas.count)
    func activation(_ index: Int) throws {
        let (name, version, f) = CoreLayerTests.formulas[index]
        let layer = try makeLayer("Activation", ["activation": .string(name)], inputShapes: [[nil, 8]], version: version)
        let y = try layer.call([Tensor(shape: [1, 8], scalars: CoreLayerTests.xs)])[0]
        #expect(close(y.scalars, CoreLayerTests.xs.map { f(Double($0)) }), "\(name) (Keras \(version)): \(y.scalars)")
    }

    @Test("softmax normalises the last axis")
    func softmax() throws {
        let layer = try makeLayer("Activation", ["activation": .string("softmax")], inputShapes: [[nil, 2, 3]])
        let y = try layer.call([Tensor(shape: [1, 2, 3], scalars: [1, 2, 3, 0, 0, 1000])])[0]
        let e = [exp(1.0), exp(2.0), exp(3.0)], s = e.reduce(0, +)
        #expect(close(y.scalars, [e[0] / s, e[1] / s, e[2] / s, 0, 0, 1]))
    }

    @Test("a NaN propagates through Dense and activations")
    func nanPropagates() throws {
        let dense = try makeLayer("Dense", ["units": .number(1), "activation": .string("relu")], inputShapes: [[nil, 2]],
                                  weights: [Tensor(shape: [2, 1], scalars: [0, 1]), Tensor([0])])
        let y = try dense.call([Tensor(shape: [2, 2], scalars: [.nan, 1, 2, 3])])[0]
        #expect(y.scalars[0].isNaN)   // 0·NaN = NaN, as in TensorFlow's matmul
        #expect(y.scalars[1] == 3)
    }

    @Test("an unknown activation is reported as unsupported")
    func unknownActivation() {
        #expect(throws: KerasError.self) { try makeLayer("Activation", ["activation": .string("wiggle")], inputShapes: [[nil, 2]]) }
    }

    @Test("Reshape with -1, Flatten and RepeatVector")
    func reshaping() throws {
        let x = try Tensor(shape: [2, 6], scalars: (0..<12).map(Float.init))
        let reshape = try makeLayer("Reshape", ["target_shape": .array([.number(-1), .number(2)])], inputShapes: [[nil, 6]])
        #expect(try reshape.outputShapes(for: [[nil, 6]]) == [[nil, 3, 2]])
        let r = try reshape.call([x])[0]
        #expect(r.shape == [2, 3, 2] && r.scalars == x.scalars)
        #expect(throws: KerasError.self) {
            try makeLayer("Reshape", ["target_shape": .array([.number(4), .number(-1)])], inputShapes: [[nil, 6]]).outputShapes(for: [[nil, 6]])
        }

        let flatten = try makeLayer("Flatten", [:], inputShapes: [[nil, 3, 2]])
        #expect(try flatten.outputShapes(for: [[nil, 3, 2]]) == [[nil, 6]])
        #expect(try flatten.call([r])[0] == x)

        let repeatVector = try makeLayer("RepeatVector", ["n": .number(3)], inputShapes: [[nil, 2]])
        let v = try repeatVector.call([Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])])[0]
        #expect(v.shape == [2, 3, 2])
        #expect(v.scalars == [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4])
    }

    @Test("Dropout is the identity at inference")
    func dropout() throws {
        let layer = try makeLayer("Dropout", ["rate": .number(0.5)], inputShapes: [[nil, 3]])
        let x = Tensor([1, 2, 3])
        #expect(try layer.call([try x.reshaped([1, 3])])[0].scalars == [1, 2, 3])
    }

    @Test("JSON round trip keeps Python's NaN and Infinity")
    func jsonSpecials() throws {
        let j = try JSON(parsing: #"{"a": [NaN, Infinity, -Infinity, 1.5, -2, "x\"y"], "b": null}"#)
        let again = try JSON(parsing: j.serialized)
        #expect(again["a"]?.arrayValue?[0].doubleValue?.isNaN == true)
        #expect(again["a"]?.arrayValue?[1] == .number(.infinity))
        #expect(again["a"]?.arrayValue?[2] == .number(-.infinity))
        #expect(again["a"]?.arrayValue?[5] == .string("x\"y"))
        #expect(throws: KerasError.self) { try JSON(parsing: String(repeating: "[", count: 10_000)) }
    }
}
