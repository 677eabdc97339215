import Testing
@testable import KerasRuntime

@Suite("Transposed, depthwise, separable and grouped convolutions")
struct ConvolutionVariantTests {
    /// A Conv1DTranspose with 1 channel and 1 filter, kernel [1, 10, 100], no bias, over x = [1, 2].
    private func transposed1D(_ options: String) throws -> Tensor {
        let config = #"{"filters": 1, "kernel_size": 3, "use_bias": false, \#(options)}"#
        let layer = try builtWindowLayer("Conv1DTranspose", config, inputShape: [nil, 2, 1],
                                         weights: [try Tensor(shape: [3, 1, 1], scalars: [1, 10, 100])])
        let y = try runWindowLayer(layer, try Tensor(shape: [1, 2, 1], scalars: [1, 2]))
        #expect(try layer.outputShapes(for: [[nil, 2, 1]]) == [[nil, y.shape[1], 1]])
        return y
    }

    @Test func transposedValidStride2() throws {
        // Input i adds x[i]·k[t] at output 2i + t: [1, 10, 100 + 2, 20, 200].
        expectWindowClose(try transposed1D(#""strides": 2"#), shape: [1, 5, 1], [1, 10, 102, 20, 200])
    }

    @Test func transposedSameStride2AndOutputPadding() throws {
        // Length 2·2 = 4; the forward conv's padding before is (1·2 + 3 − 4)/2 = 0: the first 4 cells.
        expectWindowClose(try transposed1D(#""strides": 2, "padding": "same""#), shape: [1, 4, 1], [1, 10, 102, 20])
        // output_padding 1: (2 − 1)·2 + 3 − 2·1 + 1 = 4 cells, same padding as above.
        expectWindowClose(try transposed1D(#""strides": 2, "padding": "same", "output_padding": 1"#), shape: [1, 4, 1],
                          [1, 10, 102, 20])
    }

    @Test func transposedSameStride1CutsThePadding() throws {
        // Stride 1, same: length 2, pad before (1 + 3 − 2)/2 = 1 → cell o gets x[i]·k[o − i + 1]: [1·10 + 2·1, 1·100 + 2·10].
        expectWindowClose(try transposed1D(#""padding": "same""#), shape: [1, 2, 1], [12, 120])
    }

    @Test func transposed2DKernelLayoutAndBias() throws {
        // 1×1 input with 2 channels, kernel (1, 2, filters 1, in 2) = [[a0, a1], [b0, b1]] per tap, bias 0.5.
        let kernel = try Tensor(shape: [1, 2, 1, 2], scalars: [1, 2, 3, 4])
        let layer = try builtWindowLayer("Conv2DTranspose", #"{"filters": 1, "kernel_size": [1, 2]}"#,
                                         inputShape: [nil, 1, 1, 2], weights: [kernel, Tensor([0.5])])
        #expect(layer.parameterCounts == (5, 0))
        let y = try runWindowLayer(layer, try Tensor(shape: [1, 1, 1, 2], scalars: [10, 100]))
        // Tap 0: 10·1 + 100·2; tap 1: 10·3 + 100·4.
        expectWindowClose(y, shape: [1, 1, 2, 1], [210.5, 430.5])
    }

    @Test func depthwise1DChannelMajorOutputs() throws {
        // C = 2, depth_multiplier 2, kernel (2, 2, 2) [t][c][m]; steps (1, 2), (3, 4); valid → one step.
        let k: [Float] = [1, 2, 3, 4,    // t = 0: c0 → (1, 2), c1 → (3, 4)
                          5, 6, 7, 8]    // t = 1: c0 → (5, 6), c1 → (7, 8)
        let layer = try builtWindowLayer("DepthwiseConv1D", #"{"kernel_size": 2, "depth_multiplier": 2}"#,
                                         inputShape: [nil, 2, 2],
                                         weights: [try Tensor(shape: [2, 2, 2], scalars: k), Tensor([0, 0, 0, 1])])
        #expect(try layer.outputShapes(for: [[nil, 2, 2]]) == [[nil, 1, 4]])
        let y = try runWindowLayer(layer, try Tensor(shape: [1, 2, 2], scalars: [1, 2, 3, 4]))
        // Output c·2 + m: c0 = 1·k[0,0,m] + 3·k[1,0,m]; c1 = 2·k[0,1,m] + 4·k[1,1,m].
        expectWindowClose(y, shape: [1, 1, 4], [1 + 15, 2 + 18, 6 + 28, 8 + 32 + 1])
    }

    @Test func separable2DIsDepthwiseThenPointwise() throws {
        // 1×1 kernel, C = 2, dm 1: depthwise scales channels by (2, 3); pointwise (1, 1, 2, 1) = [1, 10]; bias 1.
        let layer = try builtWindowLayer("SeparableConv2D", #"{"filters": 1, "kernel_size": 1}"#, inputShape: [nil, 1, 1, 2],
                                         weights: [try Tensor(shape: [1, 1, 2, 1], scalars: [2, 3]),
                                                   try Tensor(shape: [1, 1, 2, 1], scalars: [1, 10]), Tensor([1])])
        #expect(layer.weights.map(\.name) == ["depthwise_kernel", "pointwise_kernel", "bias"])
        let y = try runWindowLayer(layer, try Tensor(shape: [1, 1, 1, 2], scalars: [5, 7]))
        expectWindowClose(y, shape: [1, 1, 1, 1], [5 * 2 + 7 * 3 * 10 + 1])
    }

    @Test func groupedConvolutionKeepsGroupsApart() throws {
        // Conv1D groups 2, C = 4, filters 2, kernel 1: kernel (1, 2, 2); filter 0 sees channels 0-1, filter 1 channels 2-3.
        let kernel = try Tensor(shape: [1, 2, 2], scalars: [1, 100, 10, 1000])
        let layer = try builtWindowLayer("Conv1D", #"{"filters": 2, "kernel_size": 1, "groups": 2, "use_bias": false}"#,
                                         inputShape: [nil, 1, 4], weights: [kernel])
        let y = try runWindowLayer(layer, try Tensor(shape: [1, 1, 4], scalars: [1, 2, 3, 4]))
        // f0 = 1·1 + 2·10; f1 = 3·100 + 4·1000.
        expectWindowClose(y, shape: [1, 1, 2], [21, 4300])
        #expect(throws: KerasError.self) {
            try builtWindowLayer("Conv1D", #"{"filters": 2, "kernel_size": 1, "groups": 2}"#, inputShape: [nil, 1, 3], weights: [])
        }
    }

    @Test func unsupportedOptions() throws {
        for (cls, config) in [("Conv1DTranspose", #"{"filters": 1, "kernel_size": 3, "strides": 2, "output_padding": 2}"#),
                              ("DepthwiseConv1D", #"{"kernel_size": 3, "padding": "causal"}"#),
                              ("SeparableConv2D", #"{"filters": 1, "kernel_size": 3, "data_format": "channels_first"}"#),
                              ("Conv2D", #"{"filters": 3, "kernel_size": 3, "groups": 2}"#)] {
            let e = #expect(throws: KerasError.self, "\(cls) \(config)") { try makeWindowLayer(cls, config) }
            #expect(e?.kind == .unsupported, "\(cls) \(config)")
        }
    }
}
