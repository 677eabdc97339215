import Testing
import KConvOps

/// Expects `got` to equal `expected` within float rounding.
func expectClose(_ got: [Float], _ expected: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == expected.count, sourceLocation: sourceLocation)
    for (a, b) in zip(got, expected) where abs(a - b) > 1e-5 * (1 + abs(b)) {
        Issue.record("got \(got), expected \(expected)", sourceLocation: sourceLocation)
        return
    }
}

/// The im2col convolution, its grouped form and the depthwise convolution on hand-sized inputs.
struct ConvolutionKernelTests {
    /// A 1-D window as a 2-D one over a height-1 input.
    static let unit = WindowAxis(size: 1, stride: 1, dilation: 1)

    @Test func im2colCrossCorrelates() {
        // 3×3 image 1…9, kernel [[1, 2], [3, 4]], valid: each output is the window's dot product.
        let plan = WindowPlan(batch: 1, height: 3, width: 3, channels: 1, rows: WindowAxis(size: 2, stride: 1, dilation: 1),
                              cols: WindowAxis(size: 2, stride: 1, dilation: 1), padding: .valid)
        let y = ConvolutionKernel.convolve((1...9).map(Float.init), plan: plan, kernel: [1, 2, 3, 4], filters: 1, bias: [0.5])
        expectClose(y, [1 * 1 + 2 * 2 + 4 * 3 + 5 * 4 + 0.5, 2 * 1 + 3 * 2 + 5 * 3 + 6 * 4 + 0.5,
                        4 * 1 + 5 * 2 + 7 * 3 + 8 * 4 + 0.5, 5 * 1 + 6 * 2 + 8 * 3 + 9 * 4 + 0.5])
    }

    /// Windows inside the input run without patches (implicit GEMM); the result is the same bits as
    /// the product of the patches, built here by hand, with the kernel.
    @Test(arguments: [(1, 1, 1), (2, 1, 1), (1, 2, 1), (1, 1, 2), (2, 3, 2)])
    func validWindowsMatchThePatchProductBitForBit(strideY: Int, strideX: Int, dilationY: Int) {
        let (batch, height, width, channels, kh, kw, filters) = (2, 9, 7, 5, 3, 2, 20)
        let plan = WindowPlan(batch: batch, height: height, width: width, channels: channels,
                              rows: WindowAxis(size: kh, stride: strideY, dilation: dilationY),
                              cols: WindowAxis(size: kw, stride: strideX, dilation: 1), padding: .valid)
        let x = GEMMTests.values(batch * height * width * channels, seed: 1)
        let kernel = GEMMTests.values(kh * kw * channels * filters, seed: 2), bias = GEMMTests.values(filters, seed: 3)
        var patches: [Float] = []
        for b in 0..<batch {
            for oy in 0..<plan.outHeight {
                for ox in 0..<plan.outWidth {
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let iy = oy * strideY + ky * dilationY, ix = ox * strideX + kx
                            for c in 0..<channels { patches.append(x[((b * height + iy) * width + ix) * channels + c]) }
                        }
                    }
                }
            }
        }
        let want = GEMM.multiply(patches, kernel, m: plan.outputPositions, k: kh * kw * channels, n: filters, bias: bias)
        let got = ConvolutionKernel.convolve(x, plan: plan, kernel: kernel, filters: filters, bias: bias)
        #expect(got.map(\.bitPattern) == want.map(\.bitPattern))
    }

    @Test func im2colSamePadsWithZeros() {
        // 1-D, x = [1, 2, 3, 4], kernel [1, 10], same: the zero goes after x[3].
        let plan = WindowPlan(batch: 1, height: 1, width: 4, channels: 1, rows: Self.unit,
                              cols: WindowAxis(size: 2, stride: 1, dilation: 1), padding: .same)
        let y = ConvolutionKernel.convolve([1, 2, 3, 4], plan: plan, kernel: [1, 10], filters: 1, bias: nil)
        expectClose(y, [1 + 2 * 10, 2 + 3 * 10, 3 + 4 * 10, 4 + 0 * 10])
    }

    @Test func groupsSeeOnlyTheirChannels() {
        // 4 channels in 2 groups, 2 filters, 1×1 kernel (tap, channel-in-group, filter) = [[1, 100], [10, 1000]]:
        // filter 0 sees channels 0–1 with weights 1, 10; filter 1 channels 2–3 with weights 100, 1000.
        let plan = WindowPlan(batch: 1, height: 1, width: 1, channels: 4, rows: Self.unit, cols: Self.unit, padding: .valid)
        let y = GroupedConvolution.convolve([1, 2, 3, 4], plan: plan, kernel: [1, 100, 10, 1000], filters: 2, groups: 2,
                                            bias: [0.5, -1])
        expectClose(y, [1 * 1 + 2 * 10 + 0.5, 3 * 100 + 4 * 1000 - 1])
        // One group is the plain convolution: f0 = 1·1 + 2·10 + 3·0 + 4·0, f1 = 1·100 + 2·1000.
        let whole = WindowPlan(batch: 1, height: 1, width: 1, channels: 2, rows: Self.unit, cols: Self.unit, padding: .valid)
        expectClose(GroupedConvolution.convolve([1, 2], plan: whole, kernel: [1, 100, 10, 1000], filters: 2, groups: 1, bias: nil),
                    [21, 2100])
    }

    @Test func depthwiseKeepsChannelsApart() {
        // 2 steps × 2 channels, multiplier 2, kernel (t, c, m) = t0: c0 (1, 2), c1 (3, 4); t1: c0 (5, 6), c1 (7, 8).
        let plan = WindowPlan(batch: 1, height: 1, width: 2, channels: 2, rows: Self.unit,
                              cols: WindowAxis(size: 2, stride: 1, dilation: 1), padding: .valid)
        let y = DepthwiseKernel.convolve([1, 2, 3, 4], plan: plan, kernel: [1, 2, 3, 4, 5, 6, 7, 8], multiplier: 2,
                                         bias: [0, 0, 0, 1])
        // Output c·2 + m: channel 0 is x = (1, 3), channel 1 is x = (2, 4).
        expectClose(y, [1 * 1 + 3 * 5, 1 * 2 + 3 * 6, 2 * 3 + 4 * 7, 2 * 4 + 4 * 8 + 1])
    }
}
