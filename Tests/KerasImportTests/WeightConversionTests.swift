import Testing
@testable import KerasImport
@testable import KerasRuntime

/// Keras 1 and Theano weight layouts converted to Keras 2's, checked element by element against
/// the rules of Keras 2's `preprocess_weights_for_loading` (KERAS_FORMATS.md 3.2, 3.4, 3.5).
@Suite("Stored weight conversion")
struct WeightConversionTests {
    typealias Stored = WeightReader.Stored
    let keras1 = StoredWeightConversion(keras1: true, theano: false)
    let theano = StoredWeightConversion(keras1: false, theano: true)

    /// A tensor whose elements are `base + 0, base + 1, ...`.
    func counting(_ shape: [Int], from base: Float = 0, name: String = "w") throws -> Stored {
        let n = shape.reduce(1, *)
        return Stored(name: name, tensor: try Tensor(shape: shape, scalars: (0..<n).map { base + Float($0) }))
    }

    @Test("Keras 1 LSTM: 12 per-gate tensors (i, c, f, o) become kernel, recurrent kernel, bias in gate order i, f, c, o")
    func lstm12() throws {
        // Inputs 2, units 3. Gate g ∈ {i, c, f, o} (file order 0...3) has W (2,3), U (3,3), b (3)
        // whose elements are 100·g + 10·k + index (k: 0 = W, 1 = U, 2 = b).
        var stored: [Stored] = []
        for g in 0..<4 {
            stored.append(try counting([2, 3], from: Float(100 * g), name: "W_\(g)"))
            stored.append(try counting([3, 3], from: Float(100 * g + 10), name: "U_\(g)"))
            stored.append(try counting([3], from: Float(100 * g + 20), name: "b_\(g)"))
        }
        let out = try keras1.convert(className: "LSTM", config: ["units": .number(3)], layer: "lstm", stored)
        #expect(out.map(\.tensor.shape) == [[2, 12], [3, 12], [12]])
        // Column block q of the result is file gate [i, f, c, o][q] = [0, 2, 1, 3][q].
        let fileGate = [0, 2, 1, 3]
        for row in 0..<2 {
            for q in 0..<4 {
                for j in 0..<3 {
                    #expect(out[0].tensor.scalars[row * 12 + q * 3 + j] == Float(100 * fileGate[q] + row * 3 + j))
                }
            }
        }
        for q in 0..<4 {
            for j in 0..<3 {
                #expect(out[1].tensor.scalars[2 * 12 + q * 3 + j] == Float(100 * fileGate[q] + 10 + 2 * 3 + j))
                #expect(out[2].tensor.scalars[q * 3 + j] == Float(100 * fileGate[q] + 20 + j))
            }
        }
    }

    @Test("Keras 1 GRU: 9 tensors (z, r, h) become 3 in the same gate order")
    func gru9() throws {
        var stored: [Stored] = []
        for g in 0..<3 {
            stored.append(try counting([1, 2], from: Float(100 * g)))
            stored.append(try counting([2, 2], from: Float(100 * g + 10)))
            stored.append(try counting([2], from: Float(100 * g + 20)))
        }
        let out = try keras1.convert(className: "GRU", config: [:], layer: "gru", stored)
        #expect(out.map(\.tensor.shape) == [[1, 6], [2, 6], [6]])
        #expect(out[0].tensor.scalars == [0, 1, 100, 101, 200, 201])
        #expect(out[2].tensor.scalars == [20, 21, 120, 121, 220, 221])
        #expect(Array(out[1].tensor.scalars[6..<12]) == [12, 13, 112, 113, 212, 213])
    }

    @Test("Keras 1 Conv1D: (k, 1, in, f) drops its unit axis; the Keras 1.1 (f, in, k, 1) form is transposed first")
    func conv1D() throws {
        let config: [String: JSON] = ["kernel_size": .number(1), "filters": .number(3)]
        // filter_length 1, so the orientation question does not arise.
        let plain = try keras1.convert(className: "Conv1D", config: config, layer: "c", [try counting([1, 1, 2, 3]), try counting([3])])
        #expect(plain[0].tensor.shape == [1, 2, 3])
        #expect(plain[0].tensor.scalars == (0..<6).map(Float.init))
        // (f=3, in=2, k=1, 1) → transpose (2, 3, 1, 0) → (1, 1, 2, 3): element [0,0,c,f] = old[f, c, 0, 0] = 2f + c.
        let legacy = try keras1.convert(className: "Conv1D", config: config, layer: "c", [try counting([3, 2, 1, 1]), try counting([3])])
        #expect(legacy[0].tensor.shape == [1, 2, 3])
        #expect(legacy[0].tensor.scalars == [0, 2, 4, 1, 3, 5])
    }

    @Test("a Keras 1 convolution larger than 1 is refused unless its weight names show TensorFlow")
    func keras1Orientation() throws {
        let config: [String: JSON] = ["kernel_size": .number(3), "filters": .number(2)]
        do {
            _ = try keras1.convert(className: "Conv1D", config: config, layer: "convolution1d_1",
                                   [try counting([3, 1, 4, 2], name: "convolution1d_1_W"), try counting([2], name: "convolution1d_1_b")])
            Issue.record("an ambiguous Keras 1 kernel was accepted")
        } catch let e as KerasError {
            #expect(e.kind == .unsupported)
            #expect(e.message.contains("convolution1d_1") && e.message.contains("orientation"))
        }
        let tf = try keras1.convert(className: "Conv1D", config: config, layer: "c",
                                    [try counting([3, 1, 4, 2], name: "c_W:0"), try counting([2], name: "c_b:0")])
        #expect(tf[0].tensor.scalars == (0..<24).map(Float.init))
    }

    @Test("Keras 1 th kernels: Conv2D (f, in, kh, kw) → (kh, kw, in, f)")
    func channelsFirstConv2D() throws {
        let out = try keras1.convert(className: "Conv2D", config: ["data_format": .string("channels_first")], layer: "c",
                                     [try counting([2, 1, 1, 1], name: "c_W:0"), try counting([2])])
        #expect(out[0].tensor.shape == [1, 1, 1, 2])
        let big = try keras1.convert(className: "Conv2D", config: ["data_format": .string("channels_first")], layer: "c",
                                     [try counting([2, 3, 2, 2], name: "c_W:0"), try counting([2], name: "c_b:0")])
        // new[h, w, c, f] = old[f, c, h, w] = 12f + 4c + 2h + w.
        let t = big[0].tensor
        #expect(t.shape == [2, 2, 3, 2])
        for h in 0..<2 { for w in 0..<2 { for c in 0..<3 { for f in 0..<2 {
            #expect(t.scalars[((h * 2 + w) * 3 + c) * 2 + f] == Float(12 * f + 4 * c + 2 * h + w))
        } } } }
    }

    @Test("Theano kernels are flipped on every spatial axis, other weights untouched")
    func theanoFlip() throws {
        // Conv1D (k=3, in=1, f=2): rows reversed.
        let c1 = try theano.convert(className: "Conv1D", config: [:], layer: "c", [try counting([3, 1, 2]), try counting([2])])
        #expect(c1[0].tensor.scalars == [4, 5, 2, 3, 0, 1])
        #expect(c1[1].tensor.scalars == [0, 1])
        // Conv2D (2, 2, 1, 1): both spatial axes reversed → elements in reverse order.
        let c2 = try theano.convert(className: "Conv2D", config: [:], layer: "c", [try counting([2, 2, 1, 1])])
        #expect(c2[0].tensor.scalars == [3, 2, 1, 0])
        // Dense and LSTM weights are not kernels of a convolution.
        let d = try theano.convert(className: "Dense", config: [:], layer: "d", [try counting([2, 2])])
        #expect(d[0].tensor.scalars == [0, 1, 2, 3])
    }

    @Test("Bidirectional converts each half with its layer; TimeDistributed converts its inner layer")
    func wrappers() throws {
        let lstm: JSON = .object(["class_name": .string("LSTM"), "config": .object(["units": .number(1)])])
        var stored: [Stored] = []
        for direction in 0..<2 {
            for g in 0..<4 {
                for k in 0..<3 { stored.append(try counting([1, 1], from: Float(1000 * direction + 10 * g + k))) }
            }
        }
        // Biases are (1, 1) here only to keep the helper short; shapes are not checked by the conversion.
        let out = try keras1.convert(className: "Bidirectional", config: ["layer": lstm], layer: "bi", stored)
        #expect(out.count == 6)
        #expect(out[0].tensor.scalars == [0, 20, 10, 30])
        #expect(out[3].tensor.scalars == [1000, 1020, 1010, 1030])
        let td = try keras1.convert(className: "TimeDistributed", config: ["layer": lstm], layer: "td", Array(stored[..<12]))
        #expect(td.count == 3 && td[2].tensor.scalars == [2, 22, 12, 32])
    }

    @Test("Keras 2+ files without Theano are passed through unchanged")
    func noConversion() throws {
        let none = StoredWeightConversion(keras1: false, theano: false)
        #expect(!none.isNeeded)
        let w = [try counting([3, 1, 2])]
        #expect(try none.convert(className: "Conv1D", config: [:], layer: "c", w).map(\.tensor) == w.map(\.tensor))
    }
}
