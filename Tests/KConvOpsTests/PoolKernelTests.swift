import Testing
import KConvOps

/// Windowed and global pooling on hand-sized inputs.
struct PoolKernelTests {
    /// 1-D pooling of one channel: `x` with a window of `size`, `stride`.
    private func pool1D(_ x: [Float], size: Int, stride: Int, padding: WindowPadding, isMax: Bool) -> [Float] {
        let axis = PoolKernel.Axis(length: x.count, window: WindowAxis(size: size, stride: stride, dilation: 1), padding: padding)
        return PoolKernel.pool(x, batch: 1, channels: 1, spatial: [axis], isMax: isMax)
    }

    @Test func maxAndAverageOverWindows() {
        expectClose(pool1D([1, 3, 2, 5], size: 2, stride: 2, padding: .valid, isMax: true), [3, 5])
        expectClose(pool1D([1, 3, 2, 5], size: 2, stride: 2, padding: .valid, isMax: false), [(1 + 3) / 2, (2 + 5) / 2])
        // Same over 3 cells: windows [0, 1] and [2] (the padded cell is not counted).
        expectClose(pool1D([1, 3, 2], size: 2, stride: 2, padding: .same, isMax: false), [(1 + 3) / 2, 2 / 1])
    }

    @Test func maxSkipsNaNLikeTensorFlow() {
        let y = pool1D([.nan, 1, .nan, .nan], size: 2, stride: 2, padding: .valid, isMax: true)
        #expect(y == [1, -.greatestFiniteMagnitude])
    }

    @Test func twoDimensionalWindowsAndChannels() {
        // 2×2 image, 2 channels: channel 0 = 1…4, channel 1 = 10·(1…4); one 2×2 window.
        let x: [Float] = [1, 10, 2, 20, 3, 30, 4, 40]
        let window = WindowAxis(size: 2, stride: 2, dilation: 1)
        let axes = [PoolKernel.Axis(length: 2, window: window, padding: .valid),
                    PoolKernel.Axis(length: 2, window: window, padding: .valid)]
        expectClose(PoolKernel.pool(x, batch: 1, channels: 2, spatial: axes, isMax: true), [4, 40])
        expectClose(PoolKernel.pool(x, batch: 1, channels: 2, spatial: axes, isMax: false), [10 / 4, 100 / 4])
    }

    @Test func globalPooling() {
        // (batch 1, cells 3, channels 1) = [2, 4, 6].
        expectClose(GlobalPoolKernel.pool([2, 4, 6], batch: 1, cells: 3, channels: 1, channelsFirst: false, isMax: false,
                                          mask: nil), [(2 + 4 + 6) / 3])
        // Mask [1, 1, 0]: (2·1 + 4·1 + 6·0) / (1 + 1 + 0).
        expectClose(GlobalPoolKernel.pool([2, 4, 6], batch: 1, cells: 3, channels: 1, channelsFirst: false, isMax: false,
                                          mask: [1, 1, 0]), [3])
        // Channels first (batch 1, channels 2, cells 2) = [[1, 2], [3, 4]].
        expectClose(GlobalPoolKernel.pool([1, 2, 3, 4], batch: 1, cells: 2, channels: 2, channelsFirst: true, isMax: false,
                                          mask: nil), [1.5, 3.5])
        // Global max lets NaN through.
        let y = GlobalPoolKernel.pool([1, .nan, 3], batch: 1, cells: 3, channels: 1, channelsFirst: false, isMax: true, mask: nil)
        #expect(y[0].isNaN)
    }
}
