import Testing
import KConvOps

/// Numpy subscripts and means, on arrays small enough to write every expected value out.
@Suite("Slicing and reductions")
struct SliceAndReductionTests {
    @Test("slice bounds follow Python's slice.indices")
    func resolve() {
        // range(6)[1:5:2] = [1, 3]; [::-2] = [5, 3, 1]; [-2:] = [4, 5]; [1:-1:2] = [1, 3]
        #expect(Slicing.resolve(start: 1, stop: 5, step: 2, length: 6) == (1, 2))
        #expect(Slicing.resolve(start: nil, stop: nil, step: -2, length: 6) == (5, 3))
        #expect(Slicing.resolve(start: -2, stop: nil, step: 1, length: 6) == (4, 2))
        #expect(Slicing.resolve(start: 1, stop: -1, step: 2, length: 6) == (1, 2))
        // Out-of-range ends are clamped; an empty range has count 0.
        #expect(Slicing.resolve(start: -10, stop: 10, step: 1, length: 6) == (0, 6))
        #expect(Slicing.resolve(start: 4, stop: 2, step: 1, length: 6) == (4, 0))
        #expect(Slicing.resolve(start: 10, stop: nil, step: -1, length: 6) == (5, 6))
    }

    @Test("gather takes start + i·step along every axis")
    func gather() {
        // x = [[0, 1, 2], [3, 4, 5]] (2, 3); x[:, ::-2] = [[2, 0], [5, 3]]; x[1:, 1] = [4]
        let x: [Float] = [0, 1, 2, 3, 4, 5]
        #expect(Slicing.gather(x, shape: [2, 3], starts: [0, 2], steps: [1, -2], counts: [2, 2]) == [2, 0, 5, 3])
        #expect(Slicing.gather(x, shape: [2, 3], starts: [1, 1], steps: [1, 1], counts: [1, 1]) == [4])
        #expect(Slicing.gather(x, shape: [2, 3], starts: [0, 0], steps: [1, 1], counts: [2, 0]) == [])
    }

    @Test("mean: float32 sum over the reduced axes divided by their size")
    func mean() {
        // (2, 3, 2): mean over axis 1 of [[0,1],[2,3],[4,5]] = [2, 3]; of [[6,7],[8,9],[10,11]] = [8, 9].
        let x = (0..<12).map(Float.init)
        #expect(Reduction.mean(x, shape: [2, 3, 2], axes: [1]) == [2, 3, 8, 9])
        // Over axes 1 and 2: (0+...+5)/6 = 2.5, (6+...+11)/6 = 8.5.
        #expect(Reduction.mean(x, shape: [2, 3, 2], axes: [1, 2]) == [2.5, 8.5])
        // Over the last axis: pairs.
        #expect(Reduction.mean(x, shape: [2, 3, 2], axes: [2]) == [0.5, 2.5, 4.5, 6.5, 8.5, 10.5])
        // The order is the sum's: 1e8 + 1 + (-1e8) in float32 is 0 (1 is lost), divided by 3.
        #expect(Reduction.mean([1e8, 1, -1e8], shape: [1, 3], axes: [1]) == [0])
    }

    @Test("sums, maxima and minima over axes; NaN wins a max or min")
    func sumMaxMin() {
        let x = (0..<12).map(Float.init)
        // (2, 3, 2) over axis 1: 0+2+4 = 6, 1+3+5 = 9, 6+8+10 = 24, 7+9+11 = 27.
        #expect(Reduction.sum(x, shape: [2, 3, 2], axes: [1]) == [6, 9, 24, 27])
        #expect(Reduction.sum(x, shape: [2, 3, 2], axes: [1, 2]) == [15, 51])
        #expect(Reduction.max(x, shape: [2, 3, 2], axes: [2]) == [1, 3, 5, 7, 9, 11])
        #expect(Reduction.min(x, shape: [2, 3, 2], axes: [1, 2]) == [0, 6])
        #expect(Reduction.max([-3, -1, -2], shape: [1, 3], axes: [1]) == [-1])
        #expect(Reduction.max([1, .nan, 2], shape: [1, 3], axes: [1])[0].isNaN)
        #expect(Reduction.min([1, .nan, 2], shape: [1, 3], axes: [1])[0].isNaN)
        #expect(Reduction.sum([1e8, 1, -1e8], shape: [1, 3], axes: [1]) == [0])
    }
}
