import Testing
@testable import KerasRuntime
import KConvOps

/// Makes a layer from a JSON config through the registry.
func makeWindowLayer(_ className: String, _ config: String, name: String = "layer") throws -> any Layer {
    let values = try JSON(parsing: config).objectValue ?? [:]
    return try LayerRegistry.make(LayerConfig(className: className, name: name, values: values, version: KerasVersion("2.15.0")))
}

/// Makes and builds a layer for `inputShape` with hand-made weights in Keras' order.
func builtWindowLayer(_ className: String, _ config: String, inputShape: Shape, weights: [Tensor]) throws -> any Layer {
    var layer = try makeWindowLayer(className, config)
    let stored = weights.enumerated().map { WeightReader.Stored(name: "w\($0.offset)", tensor: $0.element) }
    var reader = WeightReader(layerName: layer.name, stored: stored)
    try layer.build(inputShapes: [inputShape], weights: &reader)
    try reader.finish()
    return layer
}

/// Runs a one-input layer.
func runWindowLayer(_ layer: any Layer, _ input: Tensor) throws -> Tensor {
    let out = try layer.call([input])
    return out[0]
}

func expectWindowClose(_ got: Tensor, shape: [Int], _ expected: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.shape == shape, sourceLocation: sourceLocation)
    #expect(got.scalars.count == expected.count, sourceLocation: sourceLocation)
    for (a, b) in zip(got.scalars, expected) where abs(a - b) > 1e-5 * (1 + abs(b)) {
        Issue.record("got \(got.scalars), expected \(expected)", sourceLocation: sourceLocation)
        return
    }
}

/// A 1-channel, 1-filter Conv1D without bias over `x` with `kernel`.
func conv1DSingle(_ options: String, x: [Float], kernel: [Float]) throws -> Tensor {
    let config = #"{"filters": 1, "use_bias": false, "kernel_size": [\#(kernel.count)], \#(options)}"#
    let layer = try builtWindowLayer("Conv1D", config, inputShape: [nil, x.count, 1],
                                     weights: [try Tensor(shape: [kernel.count, 1, 1], scalars: kernel)])
    return try runWindowLayer(layer, try Tensor(shape: [1, x.count, 1], scalars: x))
}

@Suite struct ConvolutionTests {
    // MARK: Conv1D forward

    @Test func conv1DValid() throws {
        // y[i] = x[i]*1 + x[i+1]*0 + x[i+2]*(-1)
        let y = try conv1DSingle(#""padding": "valid""#, x: [1, 2, 3, 4, 5], kernel: [1, 0, -1])
        expectWindowClose(y, shape: [1, 3, 1], [1 - 3, 2 - 4, 3 - 5])
    }

    @Test func conv1DSameEvenKernelPadsAtTheEnd() throws {
        // k=2, in=4: out=4, pad_total=1, pad_before=0 → the zero goes after x[3].
        let y = try conv1DSingle(#""padding": "same""#, x: [1, 2, 3, 4], kernel: [1, 10])
        expectWindowClose(y, shape: [1, 4, 1], [1 + 2 * 10, 2 + 3 * 10, 3 + 4 * 10, 4 + 0 * 10])
    }

    @Test func conv1DSameKernel4OddLength() throws {
        // k=4, in=5: pad_total=3, pad_before=1, pad_after=2. Padded: [0,1,2,3,4,5,0,0].
        let y = try conv1DSingle(#""padding": "same""#, x: [1, 2, 3, 4, 5], kernel: [1, 2, 3, 4])
        expectWindowClose(y, shape: [1, 5, 1], [
            0 * 1 + 1 * 2 + 2 * 3 + 3 * 4,
            1 * 1 + 2 * 2 + 3 * 3 + 4 * 4,
            2 * 1 + 3 * 2 + 4 * 3 + 5 * 4,
            3 * 1 + 4 * 2 + 5 * 3 + 0 * 4,
            4 * 1 + 5 * 2 + 0 * 3 + 0 * 4,
        ])
    }

    @Test func conv1DCausal() throws {
        // Left pad k-1 = 1: y[i] = x[i-1]*1 + x[i]*10.
        let y = try conv1DSingle(#""padding": "causal""#, x: [1, 2, 3, 4], kernel: [1, 10])
        expectWindowClose(y, shape: [1, 4, 1], [0 + 10, 1 + 20, 2 + 30, 3 + 40])
    }

    @Test func conv1DCausalDilated() throws {
        // Left pad d*(k-1) = 2: y[i] = x[i-2]*1 + x[i]*10.
        let y = try conv1DSingle(#""padding": "causal", "dilation_rate": [2]"#, x: [1, 2, 3, 4], kernel: [1, 10])
        expectWindowClose(y, shape: [1, 4, 1], [0 + 10, 0 + 20, 1 + 30, 2 + 40])
    }

    @Test func conv1DDilatedValid() throws {
        // k=2, d=2 → k_eff=3, out=6-3+1=4; y[i] = x[i] + 10*x[i+2].
        let y = try conv1DSingle(#""padding": "valid", "dilation_rate": 2"#, x: [1, 2, 3, 4, 5, 6], kernel: [1, 10])
        expectWindowClose(y, shape: [1, 4, 1], [1 + 30, 2 + 40, 3 + 50, 4 + 60])
    }

    @Test func conv1DDilatedSame() throws {
        // k=2, d=3 → k_eff=4, in=5: pad_total=3, pad_before=1. Padded [0,1,2,3,4,5,0,0]; y[i] = p[i] + 10*p[i+3].
        let y = try conv1DSingle(#""padding": "same", "dilation_rate": [3]"#, x: [1, 2, 3, 4, 5], kernel: [1, 10])
        expectWindowClose(y, shape: [1, 5, 1], [0 + 30, 1 + 40, 2 + 50, 3 + 0, 4 + 0])
    }

    @Test func conv1DStrides() throws {
        // valid: out = floor((7-3)/2)+1 = 3, windows start at 0, 2, 4.
        let v = try conv1DSingle(#""padding": "valid", "strides": [2]"#, x: [1, 2, 3, 4, 5, 6, 7], kernel: [1, 1, 1])
        expectWindowClose(v, shape: [1, 3, 1], [1 + 2 + 3, 3 + 4 + 5, 5 + 6 + 7])
        // same: in=6, out=3, pad_total=(3-1)*2+3-6=1, pad_before=0 → last window [5, 6, 0].
        let s = try conv1DSingle(#""padding": "same", "strides": 2"#, x: [1, 2, 3, 4, 5, 6], kernel: [1, 1, 1])
        expectWindowClose(s, shape: [1, 3, 1], [1 + 2 + 3, 3 + 4 + 5, 5 + 6 + 0])
        // causal, stride 2: pad 2 → windows [0,0,1], [1,2,3], [3,4,5].
        let c = try conv1DSingle(#""padding": "causal", "strides": 2"#, x: [1, 2, 3, 4, 5], kernel: [1, 2, 3])
        expectWindowClose(c, shape: [1, 3, 1], [3 * 1, 1 + 2 * 2 + 3 * 3, 3 + 4 * 2 + 5 * 3])
    }

    @Test func conv1DChannelsFiltersBiasActivationBatch() throws {
        // kernel W[t][c][f]: t=0 → [[1,0],[0,1]], t=1 → [[1,1],[-1,2]]; bias [-1,-1]; relu.
        let config = #"{"filters": 2, "kernel_size": 2, "activation": "relu"}"#
        let kernel = try Tensor(shape: [2, 2, 2], scalars: [1, 0, 0, 1, 1, 1, -1, 2])
        let layer = try builtWindowLayer("Conv1D", config, inputShape: [nil, 2, 2], weights: [kernel, Tensor([-1, -1])])
        // sample 0: steps [1,2], [3,4]; sample 1: steps [0,1], [2,0].
        let y = try runWindowLayer(layer, try Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 0, 1, 2, 0]))
        let s0f0: Float = 1 * 1 + 2 * 0 + 3 * 1 + 4 * -1 - 1   // -1 → relu 0
        let s0f1: Float = 1 * 0 + 2 * 1 + 3 * 1 + 4 * 2 - 1    // 12
        let s1f0: Float = 0 * 1 + 1 * 0 + 2 * 1 + 0 * -1 - 1   // 1
        let s1f1: Float = 0 * 0 + 1 * 1 + 2 * 1 + 0 * 2 - 1    // 2
        expectWindowClose(y, shape: [2, 1, 2], [max(s0f0, 0), s0f1, s1f0, s1f1])
        #expect(layer.weights.map(\.name) == ["kernel", "bias"])
        #expect(layer.parameterCounts.trainable == 8 + 2)
    }

    // MARK: Conv2D forward

    /// 3×3 single-channel image 1…9 and the 2×2 kernel [[1,2],[3,4]].
    private func conv2DByHand(_ options: String, height: Int = 3, width: Int = 3) throws -> Tensor {
        let config = #"{"filters": 1, "kernel_size": [2, 2], "use_bias": false, \#(options)}"#
        let layer = try builtWindowLayer("Conv2D", config, inputShape: [nil, height, width, 1],
                                         weights: [try Tensor(shape: [2, 2, 1, 1], scalars: [1, 2, 3, 4])])
        let x = (1...(height * width)).map(Float.init)
        return try runWindowLayer(layer, try Tensor(shape: [1, height, width, 1], scalars: x))
    }

    @Test func conv2DValid() throws {
        let y = try conv2DByHand(#""padding": "valid""#)
        expectWindowClose(y, shape: [1, 2, 2, 1], [
            1 * 1 + 2 * 2 + 4 * 3 + 5 * 4, 2 * 1 + 3 * 2 + 5 * 3 + 6 * 4,
            4 * 1 + 5 * 2 + 7 * 3 + 8 * 4, 5 * 1 + 6 * 2 + 8 * 3 + 9 * 4,
        ])
    }

    @Test func conv2DSamePadsBottomRight() throws {
        let y = try conv2DByHand(#""padding": "same""#)
        expectWindowClose(y, shape: [1, 3, 3, 1], [
            37, 47, 3 * 1 + 6 * 3,
            67, 77, 6 * 1 + 9 * 3,
            7 * 1 + 8 * 2, 8 * 1 + 9 * 2, 9 * 1,
        ])
    }

    @Test func conv2DStrides21() throws {
        // out = (floor((3-2)/2)+1, floor((3-2)/1)+1) = (1, 2).
        let y = try conv2DByHand(#""padding": "valid", "strides": [2, 1]"#)
        expectWindowClose(y, shape: [1, 1, 2, 1], [37, 47])
    }

    @Test func conv2DDilated() throws {
        // 4×4 image 1…16, d=2 → taps at (0,0),(0,2),(2,0),(2,2) from each corner.
        let y = try conv2DByHand(#""padding": "valid", "dilation_rate": [2, 2]"#, height: 4, width: 4)
        expectWindowClose(y, shape: [1, 2, 2, 1], [
            1 * 1 + 3 * 2 + 9 * 3 + 11 * 4, 2 * 1 + 4 * 2 + 10 * 3 + 12 * 4,
            5 * 1 + 7 * 2 + 13 * 3 + 15 * 4, 6 * 1 + 8 * 2 + 14 * 3 + 16 * 4,
        ])
    }

    @Test func conv2DPointwiseWithBias() throws {
        // 1×1 kernel (fast path): y = x·W + b, W = [[1,0,1],[0,1,1]], b = [0, 0, 0.5].
        let config = #"{"filters": 3, "kernel_size": 1}"#
        let layer = try builtWindowLayer("Conv2D", config, inputShape: [nil, 1, 2, 2], weights: [
            try Tensor(shape: [1, 1, 2, 3], scalars: [1, 0, 1, 0, 1, 1]), Tensor([0, 0, 0.5]),
        ])
        let y = try runWindowLayer(layer, try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]))
        expectWindowClose(y, shape: [1, 1, 2, 3], [1, 2, 1 + 2 + 0.5, 3, 4, 3 + 4 + 0.5])
    }

    @Test func conv2DMatchesDirectLoopAcrossPatchChunks() throws {
        // 2×60×60×20 input, 3×3×20 kernels: up to 7200 patch rows of 180 floats → more than one 4 MB chunk.
        let (n, h, w, c, f) = (2, 60, 60, 20, 5)
        #expect(n * 58 * 58 * 9 * c > ConvolutionKernel.patchBufferLimit)
        for padding in ["valid", "same"] {
            for strides in [[1, 1], [2, 3]] {
                let config = #"{"filters": \#(f), "kernel_size": 3, "padding": "\#(padding)", "strides": \#(strides)}"#
                let kernel = (0..<(9 * c * f)).map { Float(($0 * 7919) % 13) / 13 - 0.5 }
                let bias = (0..<f).map { Float($0) / 10 }
                let x = (0..<(n * h * w * c)).map { Float(($0 * 104_729) % 17) / 17 - 0.5 }
                let layer = try builtWindowLayer("Conv2D", config, inputShape: [nil, h, w, c], weights: [
                    try Tensor(shape: [3, 3, c, f], scalars: kernel), Tensor(bias),
                ])
                let y = try runWindowLayer(layer, try Tensor(shape: [n, h, w, c], scalars: x))
                // Direct loops with the TF padding rule written out.
                func size(_ i: Int, _ s: Int) -> (Int, Int) {
                    if padding == "valid" { return ((i - 3) / s + 1, 0) }
                    let o = (i + s - 1) / s
                    return (o, max(0, (o - 1) * s + 3 - i) / 2)
                }
                let (oh, pt) = size(h, strides[0]), (ow, pl) = size(w, strides[1])
                var expected = [Float]()
                for b in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for o in 0..<f {
                    var acc = bias[o]
                    for ky in 0..<3 { for kx in 0..<3 {
                        let iy = oy * strides[0] - pt + ky, ix = ox * strides[1] - pl + kx
                        guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                        for ci in 0..<c {
                            acc += x[((b * h + iy) * w + ix) * c + ci] * kernel[((ky * 3 + kx) * c + ci) * f + o]
                        }
                    } }
                    expected.append(acc)
                } } } }
                expectWindowClose(y, shape: [n, oh, ow, f], expected)
            }
        }
    }

    // MARK: Shapes

    private func conv1DShape(_ options: String, _ input: Shape) throws -> Shape {
        let layer = try makeWindowLayer("Conv1D", #"{"filters": 4, \#(options)}"#)
        return try layer.outputShapes(for: [input])[0]
    }

    @Test func conv1DOutputShapes() throws {
        #expect(try conv1DShape(#""kernel_size": 3"#, [nil, 10, 3]) == [nil, 8, 4])
        #expect(try conv1DShape(#""kernel_size": 3, "padding": "same", "strides": 2"#, [nil, 10, 3]) == [nil, 5, 4])
        #expect(try conv1DShape(#""kernel_size": 3, "padding": "same", "strides": 3"#, [nil, 10, 3]) == [nil, 4, 4])
        #expect(try conv1DShape(#""kernel_size": 3, "padding": "causal""#, [nil, 10, 3]) == [nil, 10, 4])
        #expect(try conv1DShape(#""kernel_size": 3, "padding": "causal", "strides": 3"#, [nil, 10, 3]) == [nil, 4, 4])
        #expect(try conv1DShape(#""kernel_size": 3, "strides": 3"#, [nil, 10, 3]) == [nil, 3, 4])
        #expect(try conv1DShape(#""kernel_size": 3, "dilation_rate": 2"#, [nil, 10, 3]) == [nil, 6, 4])
        #expect(try conv1DShape(#""kernel_size": 3"#, [5, nil, 3]) == [5, nil, 4])
        #expect(try conv1DShape(#""kernel_size": 3"#, [nil, 3, 3]) == [nil, 1, 4])
    }

    @Test func conv2DOutputShapes() throws {
        let layer = try makeWindowLayer("Conv2D", #"{"filters": 6, "kernel_size": [3, 2], "padding": "same", "strides": [2, 1]}"#)
        #expect(try layer.outputShapes(for: [[nil, 7, 5, 3]]) == [[nil, 4, 5, 6]])
        #expect(try layer.outputShapes(for: [[nil, nil, 5, 3]]) == [[nil, nil, 5, 6]])
        let valid = try makeWindowLayer("Conv2D", #"{"filters": 6, "kernel_size": [3, 2], "dilation_rate": [1, 3]}"#)
        #expect(try valid.outputShapes(for: [[2, 7, 5, 3]]) == [[2, 5, 2, 6]])
    }

    @Test func builtLayerChecksWeightShapesAndChannels() throws {
        var layer = try makeWindowLayer("Conv2D", #"{"filters": 2, "kernel_size": 3}"#)
        var reader = WeightReader(layerName: layer.name, stored: [
            WeightReader.Stored(name: "kernel", tensor: Tensor(zeros: [3, 3, 4, 2])),
        ])
        let e = #expect(throws: KerasError.self) { try layer.build(inputShapes: [[nil, 8, 8, 3]], weights: &reader) }
        #expect(e?.kind == .shape)

        let built = try builtWindowLayer("Conv2D", #"{"filters": 2, "kernel_size": 3, "use_bias": false}"#,
                                         inputShape: [nil, 8, 8, 3], weights: [Tensor(zeros: [3, 3, 3, 2])])
        #expect(built.weights.map(\.name) == ["kernel"])
        #expect(try built.outputShapes(for: [[nil, 8, 8, 3]]) == [[nil, 6, 6, 2]])
        #expect((#expect(throws: KerasError.self) { try built.outputShapes(for: [[nil, 8, 8, 4]]) })?.kind == .shape)
        #expect((#expect(throws: KerasError.self) { try built.call([Tensor(zeros: [1, 8, 8, 4])]) })?.kind == .shape)
        #expect((#expect(throws: KerasError.self) { try built.call([Tensor(zeros: [1, 2, 8, 3])]) })?.kind == .shape)
    }

    // MARK: Errors

    @Test func shapeErrors() throws {
        let conv1D = try makeWindowLayer("Conv1D", #"{"filters": 1, "kernel_size": 5}"#, name: "short")
        let tooShort = #expect(throws: KerasError.self) { try conv1D.outputShapes(for: [[nil, 3, 1]]) }
        #expect(tooShort?.kind == .shape)
        #expect(tooShort?.message.contains("short") == true)
        #expect((#expect(throws: KerasError.self) { try conv1D.outputShapes(for: [[nil, 4, 4, 1]]) })?.kind == .shape)
        let conv2D = try makeWindowLayer("Conv2D", #"{"filters": 1, "kernel_size": 2}"#)
        #expect((#expect(throws: KerasError.self) { try conv2D.outputShapes(for: [[nil, 4, 1]]) })?.kind == .shape)
        var unbuilt = conv2D
        var reader = WeightReader(zerosFor: unbuilt.name)
        #expect((#expect(throws: KerasError.self) { try unbuilt.build(inputShapes: [[nil, 1, 4, 1]], weights: &reader) })?.kind == .shape)
    }

    @Test func unsupportedOptions() throws {
        let cases: [(String, String)] = [
            ("Conv1D", #"{"filters": 1, "kernel_size": 3, "data_format": "channels_first"}"#),
            ("Conv2D", #"{"filters": 1, "kernel_size": 3, "data_format": "channels_first"}"#),
            ("Conv1D", #"{"filters": 3, "kernel_size": 3, "groups": 2}"#),   // filters not a multiple of groups
            ("Conv2D", #"{"filters": 1, "kernel_size": 3, "padding": "causal"}"#),
            ("Conv1D", #"{"filters": 1, "kernel_size": 3, "padding": "full"}"#),
            ("Conv1D", #"{"filters": 1, "kernel_size": 3, "strides": 2, "dilation_rate": 2}"#),
            ("Conv2D", #"{"filters": 1, "kernel_size": 3, "strides": [1, 2], "dilation_rate": [2, 1]}"#),
            ("Conv1D", #"{"filters": 0, "kernel_size": 3}"#),
            ("Conv1D", #"{"filters": 1, "kernel_size": 3, "activation": "no_such_thing"}"#),
        ]
        for (cls, config) in cases {
            let e = #expect(throws: KerasError.self, "\(cls) \(config)") { try makeWindowLayer(cls, config) }
            #expect(e?.kind == .unsupported, "\(cls) \(config)")
        }
        // A badly typed option is a format error.
        let bad = #expect(throws: KerasError.self) { try makeWindowLayer("Conv2D", #"{"filters": 1, "kernel_size": [3, 3, 3]}"#) }
        #expect(bad?.kind == .format)
    }

    @Test func zeroWeightsWhenArchitectureOnly() throws {
        var layer = try makeWindowLayer("Conv1D", #"{"filters": 3, "kernel_size": 2, "padding": "same"}"#)
        var reader = WeightReader(zerosFor: layer.name)
        try layer.build(inputShapes: [[nil, nil, 2]], weights: &reader)
        #expect(layer.weights.map(\.tensor.shape) == [[2, 2, 3], [3]])
        let y = try runWindowLayer(layer, Tensor(zeros: [2, 5, 2]))
        expectWindowClose(y, shape: [2, 5, 3], [Float](repeating: 0, count: 30))
    }
}
