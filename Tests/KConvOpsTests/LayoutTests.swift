import Testing
import KConvOps

/// Padding, cropping, repeating, resizing and transposing of small row-major tensors.
struct LayoutTests {
    @Test func padAndCropAlongAnAxis() {
        // (1, 2, 2): rows [1, 2] and [3, 4]; one zero row before, two after along axis 1.
        let padded = AxisEdit.pad([1, 2, 3, 4], shape: [1, 2, 2], axis: 1, before: 1, after: 2)
        #expect(padded.shape == [1, 5, 2])
        #expect(padded.scalars == [0, 0, 1, 2, 3, 4, 0, 0, 0, 0])
        // Negative amounts crop: drop the first column of (2, 3).
        let cropped = AxisEdit.pad([1, 2, 3, 4, 5, 6], shape: [2, 3], axis: 1, before: -1, after: 0)
        #expect(cropped.shape == [2, 2])
        #expect(cropped.scalars == [2, 3, 5, 6])
    }

    @Test func repeatSlicesInPlace() {
        // (2, 2) rows [1, 2], [3, 4], each repeated twice: [a, a, b, b].
        let rows = AxisEdit.repeatSlices([1, 2, 3, 4], shape: [2, 2], axis: 0, times: 2)
        #expect(rows.shape == [4, 2])
        #expect(rows.scalars == [1, 2, 1, 2, 3, 4, 3, 4])
        // Along the last axis every element repeats.
        #expect(AxisEdit.repeatSlices([1, 2], shape: [1, 2], axis: 1, times: 3).scalars == [1, 1, 1, 2, 2, 2])
    }

    @Test func bilinearHalfPixel() {
        // [0, 4] doubled: scale 1/2, sources −0.25, 0.25, 0.75, 1.25 clamp to the edges:
        // 0, 0 + 4·0.25, 0 + 4·0.75, 4.
        let y = AxisEdit.bilinear([0, 4], shape: [1, 2], axis: 1, factor: 2)
        #expect(y.shape == [1, 4])
        expectClose(y.scalars, [0, 1, 3, 4])
    }

    @Test func permuteAxes() {
        // (2, 3) = [[0, 1, 2], [3, 4, 5]] transposed.
        let t = Transpose.permute([0, 1, 2, 3, 4, 5], shape: [2, 3], permutation: [1, 0])
        #expect(t.shape == [3, 2])
        #expect(t.scalars == [0, 3, 1, 4, 2, 5])
        // (1, 2, 2) swapping the last two axes.
        let s = Transpose.permute([1, 2, 3, 4], shape: [1, 2, 2], permutation: [0, 2, 1])
        #expect(s.shape == [1, 2, 2])
        #expect(s.scalars == [1, 3, 2, 4])
    }
}
