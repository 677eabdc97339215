import Testing
import KConvOps

/// The transposed convolution: output lengths, the kernel re-layout and the scatter of products.
struct TransposedConvolutionTests {
    static let unit = TransposedAxis(size: 1, stride: 1, dilation: 1, outputPadding: nil)

    @Test func outputLengths() {
        let k3s2 = TransposedAxis(size: 3, stride: 2, dilation: 1, outputPadding: nil)
        #expect(k3s2.outputLength(2, padding: .valid) == 2 * 2 + (3 - 2))   // in·s + max(k − s, 0)
        #expect(k3s2.outputLength(2, padding: .same) == 2 * 2)              // in·s
        let padded = TransposedAxis(size: 3, stride: 2, dilation: 1, outputPadding: 1)
        #expect(padded.outputLength(2, padding: .same) == (2 - 1) * 2 + 3 - 2 * 1 + 1)   // pad = 3 // 2
        // Same, stride 1, k 3 over 2 cells: the forward padding before is ((2 − 1) + 3 − 2) / 2 = 1.
        #expect(TransposedAxis(size: 3, stride: 1, dilation: 1, outputPadding: nil).padBefore(2, padding: .same) == 1)
    }

    /// A 1-channel, 1-filter 1-D transposed convolution of x = [1, 2] with kernel [1, 10, 100].
    private func oneD(stride: Int, padding: WindowPadding) -> [Float] {
        let cols = TransposedAxis(size: 3, stride: stride, dilation: 1, outputPadding: nil)
        let plan = TransposedPlan(batch: 1, height: 1, width: 2, channels: 1, rows: Self.unit, cols: cols, padding: padding)
        let byChannel = TransposedConvolution.kernelByChannel([1, 10, 100], channels: 1)
        return TransposedConvolution.convolve([1, 2], plan: plan, kernelByChannel: byChannel, filters: 1, bias: nil)
    }

    @Test func scattersEachInputOverItsWindow() {
        // Input i adds x[i]·k[t] at output 2i + t: [1, 10, 100 + 2, 20, 200].
        expectClose(oneD(stride: 2, padding: .valid), [1, 10, 102, 20, 200])
        // Same, stride 1: 2 cells, 1 cut from the start; cell o gets x[i]·k[o − i + 1].
        expectClose(oneD(stride: 1, padding: .same), [1 * 10 + 2 * 1, 1 * 100 + 2 * 10])
    }

    @Test func kernelByChannelAndBias() {
        // Kernel (taps 2, filters 1, channels 2) = [[1, 2], [3, 4]] becomes (channels 2, taps 2) = [[1, 3], [2, 4]].
        let byChannel = TransposedConvolution.kernelByChannel([1, 2, 3, 4], channels: 2)
        #expect(byChannel == [1, 3, 2, 4])
        let plan = TransposedPlan(batch: 1, height: 1, width: 1, channels: 2, rows: Self.unit,
                                  cols: TransposedAxis(size: 2, stride: 1, dilation: 1, outputPadding: nil), padding: .valid)
        #expect((plan.outHeight, plan.outWidth) == (1, 2))
        // x = (10, 100): tap 0 gives 10·1 + 100·2, tap 1 gives 10·3 + 100·4, each + 0.5.
        let y = TransposedConvolution.convolve([10, 100], plan: plan, kernelByChannel: byChannel, filters: 1, bias: [0.5])
        expectClose(y, [10 * 1 + 100 * 2 + 0.5, 10 * 3 + 100 * 4 + 0.5])
    }
}
