import Testing
@testable import KerasRuntime

@Suite("Average and global pooling")
struct AveragePoolingTests {
    private func avg1D(_ config: String, _ x: [Float]) throws -> Tensor {
        let layer = try builtWindowLayer("AveragePooling1D", config, inputShape: [nil, x.count, 1], weights: [])
        return try runWindowLayer(layer, try Tensor(shape: [1, x.count, 1], scalars: x))
    }

    @Test func averagePooling1DValid() throws {
        expectWindowClose(try avg1D(#"{"pool_size": 2}"#, [1, 3, 5, 7, 9]), shape: [1, 2, 1], [2, 6])
    }

    @Test func averagePooling1DSameDividesByRealCells() throws {
        // in=5, pool 2, stride 2: out 3, the last window is [9, pad] → 9/1, not 9/2.
        expectWindowClose(try avg1D(#"{"pool_size": 2, "padding": "same"}"#, [1, 3, 5, 7, 9]), shape: [1, 3, 1], [2, 6, 9])
        // pool 3, stride 1: one pad cell on each side → (1+3)/2, (1+3+5)/3, (3+5)/2.
        expectWindowClose(try avg1D(#"{"pool_size": 3, "strides": 1, "padding": "same"}"#, [1, 3, 5]), shape: [1, 3, 1], [2, 3, 4])
    }

    @Test func averagePooling2DSame() throws {
        // 3×3 image 1…9, pool 2: windows {1,2,4,5}, {3,6}, {7,8}, {9} averaged over their real cells.
        let layer = try builtWindowLayer("AveragePooling2D", #"{"pool_size": [2, 2], "padding": "same"}"#,
                                         inputShape: [nil, 3, 3, 1], weights: [])
        let y = try runWindowLayer(layer, try Tensor(shape: [1, 3, 3, 1], scalars: (1...9).map(Float.init)))
        expectWindowClose(y, shape: [1, 2, 2, 1], [3, 4.5, 7.5, 9])
        #expect(try layer.outputShapes(for: [[nil, 3, 3, 1]]) == [[nil, 2, 2, 1]])
    }

    @Test func globalPoolingShapesAndValues() throws {
        // (1, 3, 2): steps (1, 6) (2, 5) (3, 7).
        let x = try Tensor(shape: [1, 3, 2], scalars: [1, 6, 2, 5, 3, 7])
        let gmp = try makeWindowLayer("GlobalMaxPooling1D", "{}")
        expectWindowClose(try runWindowLayer(gmp, x), shape: [1, 2], [3, 7])
        let gap = try makeWindowLayer("GlobalAveragePooling1D", #"{"keepdims": true}"#)
        #expect(try gap.outputShapes(for: [[nil, 3, 2]]) == [[nil, 1, 2]])
        expectWindowClose(try runWindowLayer(gap, x), shape: [1, 1, 2], [2, 6])
        let first = try makeWindowLayer("GlobalAveragePooling1D", #"{"data_format": "channels_first"}"#)
        #expect(try first.outputShapes(for: [[nil, 3, 2]]) == [[nil, 3]])
        expectWindowClose(try runWindowLayer(first, x), shape: [1, 3], [3.5, 3.5, 5])
        let gap2 = try makeWindowLayer("GlobalAveragePooling2D", "{}")
        let img = try Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 6])
        expectWindowClose(try runWindowLayer(gap2, img), shape: [1, 1], [3])
        let gmp2 = try makeWindowLayer("GlobalMaxPooling2D", #"{"keepdims": true, "data_format": "channels_first"}"#)
        #expect(try gmp2.outputShapes(for: [[nil, 3, 4, 5]]) == [[nil, 3, 1, 1]])
    }

    @Test func globalAveragePooling1DMaskedMean() throws {
        let x = try Tensor(shape: [2, 3, 1], scalars: [1, 2, 6, 4, 5, 9])
        let mask = try Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 1, 0])
        let gap = try makeWindowLayer("GlobalAveragePooling1D", "{}")
        let (ys, masks) = try gap.call([x], masks: [mask])
        // Sample 0: (1 + 6)/2; sample 1: 5/1.
        expectWindowClose(ys[0], shape: [2, 1], [3.5, 5])
        #expect(masks == [nil])
        // Max pooling ignores the mask.
        let gmp = try makeWindowLayer("GlobalMaxPooling1D", "{}")
        expectWindowClose(try gmp.call([x], masks: [mask]).outputs[0], shape: [2, 1], [6, 9])
    }
}
