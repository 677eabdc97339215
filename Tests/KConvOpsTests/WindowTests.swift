import Testing
import KConvOps

/// `WindowAxis.layout` and `WindowPlan`: output lengths and leading padding worked out by hand.
struct WindowTests {
    @Test func validCountsWholeWindows() {
        // (7 − 3) / 2 + 1 = 3 windows, starting at 0, 2, 4; no padding.
        #expect(WindowAxis(size: 3, stride: 2, dilation: 1).layout(length: 7, padding: .valid) == (3, 0))
        // Dilation 2 spans (3 − 1)·2 + 1 = 5 cells: 7 − 5 + 1 = 3 windows.
        #expect(WindowAxis(size: 3, stride: 1, dilation: 2).layout(length: 7, padding: .valid) == (3, 0))
        // A window of 3 over 2 cells: no output (count ≤ 0).
        #expect(WindowAxis(size: 3, stride: 1, dilation: 1).layout(length: 2, padding: .valid).count <= 0)
    }

    @Test func sameHasCeilOutputsAndTheOddPadAtTheEnd() {
        // ceil(5 / 1) = 5 outputs; padding (5 − 1)·1 + 4 − 5 = 3: 1 before, 2 after.
        #expect(WindowAxis(size: 4, stride: 1, dilation: 1).layout(length: 5, padding: .same) == (5, 1))
        // ceil(6 / 2) = 3 outputs; padding (3 − 1)·2 + 3 − 6 = 1: 0 before, 1 after.
        #expect(WindowAxis(size: 3, stride: 2, dilation: 1).layout(length: 6, padding: .same) == (3, 0))
    }

    @Test func causalPadsDilationTimesKernelMinusOneBefore() {
        // ceil(4 / 1) = 4 outputs; 2·(2 − 1) = 2 zeros before.
        #expect(WindowAxis(size: 2, stride: 1, dilation: 2).layout(length: 4, padding: .causal) == (4, 2))
    }

    @Test func planResolvesBothAxes() {
        let plan = WindowPlan(batch: 2, height: 5, width: 6, channels: 3,
                              rows: WindowAxis(size: 4, stride: 1, dilation: 1),
                              cols: WindowAxis(size: 3, stride: 2, dilation: 1), padding: .same)
        #expect((plan.outHeight, plan.padTop, plan.outWidth, plan.padLeft) == (5, 1, 3, 0))
        #expect(plan.outputPositions == 2 * 5 * 3)
        #expect(!plan.isEmpty)
        let group = plan.with(channels: 1)
        #expect(group.channels == 1)
        #expect((group.outHeight, group.padTop, group.outWidth, group.padLeft) == (5, 1, 3, 0))
    }
}
