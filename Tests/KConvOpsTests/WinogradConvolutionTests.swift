import Testing
import KConvOps

/// The Winograd F(2×2, 3×3) convolution against the convolution's sum written out in double
/// precision, and its independence of the batch, the threads and the kernel path.
struct WinogradConvolutionTests {
    static let three = WindowAxis(size: 3, stride: 1, dilation: 1)

    /// `Σ x[b, y+ky-pad, x+kx-pad, c] · kernel[ky, kx, c, f] + bias[f]` in double precision, zeros
    /// outside the input, and the sum of the terms' magnitudes (the scale of float rounding).
    static func reference(_ x: [Float], plan p: WindowPlan, kernel: [Float], filters: Int, bias: [Float]?)
        -> (values: [Double], scale: [Double]) {
        var values: [Double] = [], scale: [Double] = []
        for b in 0..<p.batch {
            for oy in 0..<p.outHeight {
                for ox in 0..<p.outWidth {
                    for f in 0..<filters {
                        var sum = Double(bias?[f] ?? 0), magnitude = abs(sum)
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let iy = oy + ky - p.padTop, ix = ox + kx - p.padLeft
                                guard (0..<p.height).contains(iy), (0..<p.width).contains(ix) else { continue }
                                for c in 0..<p.channels {
                                    let term = Double(x[((b * p.height + iy) * p.width + ix) * p.channels + c])
                                        * Double(kernel[((ky * 3 + kx) * p.channels + c) * filters + f])
                                    sum += term
                                    magnitude += abs(term)
                                }
                            }
                        }
                        values.append(sum)
                        scale.append(magnitude)
                    }
                }
            }
        }
        return (values, scale)
    }

    /// (batch, height, width, channels, filters, padding): odd and even sizes, one output row or
    /// column, channels and filters with and without a part of 16 left over, a row of tiles too wide
    /// for one block.
    static let shapes: [(Int, Int, Int, Int, Int, WindowPadding)] = [
        (1, 6, 6, 16, 16, .valid), (2, 9, 7, 20, 19, .same), (1, 3, 4, 16, 24, .valid), (3, 5, 3, 33, 17, .valid),
        (1, 1, 1, 16, 16, .same), (2, 8, 5, 17, 48, .same),
        (1, 3, 1101, 16, 16, .valid),  // 550 tiles in a row: strips of 256, 256 and 38
    ]

    @Test("each output is the convolution's sum within float rounding of its terms", arguments: shapes)
    func matchesTheSumInDoublePrecision(shape: (Int, Int, Int, Int, Int, WindowPadding)) {
        let (batch, height, width, channels, filters, padding) = shape
        let plan = WindowPlan(batch: batch, height: height, width: width, channels: channels,
                              rows: Self.three, cols: Self.three, padding: padding)
        let x = GEMMTests.values(batch * height * width * channels, seed: 11)
        let kernel = GEMMTests.values(9 * channels * filters, seed: 12), bias = GEMMTests.values(filters, seed: 13)
        let winograd = WinogradConvolution(kernel: kernel, channels: channels, filters: filters)
        for b in [bias, nil] {
            let got = winograd.convolve(x, plan: plan, bias: b)
            let want = Self.reference(x, plan: plan, kernel: kernel, filters: filters, bias: b)
            #expect(got.count == want.values.count)
            // A float sum of n terms is within about n·2⁻²⁴ of the magnitudes' sum; the transforms add
            // a few roundings more: allow 2⁻¹⁸ (= 64 units of 2⁻²⁴) of it.
            let worst = zip(got, zip(want.values, want.scale)).map { abs(Double($0) - $1.0) / max($1.1, 1e-30) }.max() ?? 0
            #expect(worst < 1.0 / 262_144, "largest error relative to the terms' magnitudes: \(worst)")
        }
    }

    @Test("the activation runs on every output, in whole rows of tiles and in strips of a row")
    func appliesTheActivation() {
        for (height, width) in [(7, 6), (3, 1101)] {
            let plan = WindowPlan(batch: 2, height: height, width: width, channels: 16, rows: Self.three, cols: Self.three, padding: .same)
            let x = GEMMTests.values(2 * height * width * 16, seed: 21), kernel = GEMMTests.values(9 * 16 * 16, seed: 22)
            let winograd = WinogradConvolution(kernel: kernel, channels: 16, filters: 16)
            let linear = winograd.convolve(x, plan: plan, bias: nil)
            let relu = winograd.convolve(x, plan: plan, bias: nil, activation: .plainReLU)
            #expect(relu.map(\.bitPattern) == linear.map { max($0, 0) }.map(\.bitPattern))
        }
    }

    @Test("an image's outputs do not depend on the batch around it or on the threads")
    func independentOfBatchAndThreads() {
        let (batch, height, width, channels, filters) = (5, 16, 15, 32, 40)
        let plan = WindowPlan(batch: batch, height: height, width: width, channels: channels,
                              rows: Self.three, cols: Self.three, padding: .same)
        let x = GEMMTests.values(batch * height * width * channels, seed: 31)
        let winograd = WinogradConvolution(kernel: GEMMTests.values(9 * channels * filters, seed: 32), channels: channels, filters: filters)
        let bias = GEMMTests.values(filters, seed: 33)
        let one = ThreadBudget.$cap.withValue(1) { winograd.convolve(x, plan: plan, bias: bias) }
        let two = ThreadBudget.$cap.withValue(2) { winograd.convolve(x, plan: plan, bias: bias) }
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
        let image = height * width
        let single = WindowPlan(batch: 1, height: height, width: width, channels: channels, rows: Self.three, cols: Self.three, padding: .same)
        for b in 0..<batch {
            let alone = winograd.convolve(Array(x[b * image * channels..<(b + 1) * image * channels]), plan: single, bias: bias)
            #expect(alone.map(\.bitPattern) == one[b * image * filters..<(b + 1) * image * filters].map(\.bitPattern))
        }
    }

    @Test("every fused path gives the same bits", .enabled(if: KernelPathTests.fusedPaths.count > 1,
          "this CPU runs fewer than two fused kernel paths (AVX-512 needs AVX-512F; NEON is checked by Tools/neon_check.sh under qemu)"))
    func fusedPathsAgree() {
        let plan = WindowPlan(batch: 2, height: 9, width: 7, channels: 20, rows: Self.three, cols: Self.three, padding: .same)
        let x = GEMMTests.values(2 * 9 * 7 * 20, seed: 41)
        let winograd = WinogradConvolution(kernel: GEMMTests.values(9 * 20 * 19, seed: 42), channels: 20, filters: 19)
        let results = KernelPathTests.fusedPaths.map { winograd.convolve(x, plan: plan, bias: GEMMTests.values(19, seed: 43), path: $0) }
        for r in results.dropFirst() { #expect(r.map(\.bitPattern) == results[0].map(\.bitPattern)) }
    }

    @Test func appliesToUnitStride3x3WithEnoughChannels() {
        let strided = WindowAxis(size: 3, stride: 2, dilation: 1), dilated = WindowAxis(size: 3, stride: 1, dilation: 2)
        #expect(WinogradConvolution.applies(rows: Self.three, cols: Self.three, channels: 16, filters: 16))
        #expect(!WinogradConvolution.applies(rows: Self.three, cols: Self.three, channels: 8, filters: 64))
        #expect(!WinogradConvolution.applies(rows: Self.three, cols: Self.three, channels: 64, filters: 8))
        #expect(!WinogradConvolution.applies(rows: strided, cols: Self.three, channels: 64, filters: 64))
        #expect(!WinogradConvolution.applies(rows: Self.three, cols: dilated, channels: 64, filters: 64))
        #expect(!WinogradConvolution.applies(rows: WindowAxis(size: 2, stride: 1, dilation: 1), cols: Self.three, channels: 64, filters: 64))
    }
}
