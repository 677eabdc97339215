import Testing
@testable import KerasRuntime

@Suite struct PoolingTests {
    private func pool1D(_ config: String, _ x: [Float], channels: Int = 1) throws -> Tensor {
        let layer = try builtWindowLayer("MaxPooling1D", config, inputShape: [nil, x.count / channels, channels], weights: [])
        return try runWindowLayer(layer, try Tensor(shape: [1, x.count / channels, channels], scalars: x))
    }

    @Test func maxPooling1DValidDropsTheTail() throws {
        let y = try pool1D(#"{"pool_size": 2}"#, [-1, -5, -2, -4, -3])
        expectWindowClose(y, shape: [1, 2, 1], [max(-1, -5), max(-2, -4)])
    }

    @Test func maxPooling1DSameOddLengthPadNeverWins() throws {
        // in=5, pool 2, stride 2: out=3, pad_total=1 at the end → last window is [-3, pad].
        let y = try pool1D(#"{"pool_size": [2], "strides": null, "padding": "same"}"#, [-1, -5, -2, -4, -3])
        expectWindowClose(y, shape: [1, 3, 1], [-1, -2, -3])
    }

    @Test func maxPooling1DSameStride1PadsBothSides() throws {
        // pool 3, stride 1, in=3: pad_total=2 → one pad before, one after.
        let y = try pool1D(#"{"pool_size": 3, "strides": 1, "padding": "same"}"#, [-1, -3, -2])
        expectWindowClose(y, shape: [1, 3, 1], [max(-1, -3), max(-1, -3, -2), max(-3, -2)])
    }

    @Test func maxPooling1DChannelsAndStrides() throws {
        // steps (c0, c1): (1,8) (2,7) (3,6) (4,5) (5,4); pool 3 stride 2 valid → windows 0-2, 2-4.
        let y = try pool1D(#"{"pool_size": 3, "strides": 2}"#, [1, 8, 2, 7, 3, 6, 4, 5, 5, 4], channels: 2)
        expectWindowClose(y, shape: [1, 2, 2], [3, 8, 5, 6])
    }

    @Test func maxPooling2DSame() throws {
        // 3×3 image -(1…9), pool 2: windows {-1,-2,-4,-5}, {-3,-6}, {-7,-8}, {-9}.
        let layer = try builtWindowLayer("MaxPooling2D", #"{"pool_size": [2, 2], "padding": "same"}"#,
                                         inputShape: [nil, 3, 3, 1], weights: [])
        let y = try runWindowLayer(layer, try Tensor(shape: [1, 3, 3, 1], scalars: (1...9).map { -Float($0) }))
        expectWindowClose(y, shape: [1, 2, 2, 1], [-1, -3, -7, -9])
    }

    @Test func maxPooling2DValidBatch() throws {
        // Two 2×4 images, pool (2,2) stride (1,2): outputs (1, 2).
        let layer = try builtWindowLayer("MaxPooling2D", #"{"pool_size": 2, "strides": [1, 2]}"#,
                                         inputShape: [nil, 2, 4, 1], weights: [])
        let x: [Float] = [1, 5, 2, 0, 3, 4, 9, 1,
                          0, 0, 0, 0, 0, -1, 0, 7]
        let y = try runWindowLayer(layer, try Tensor(shape: [2, 2, 4, 1], scalars: x))
        expectWindowClose(y, shape: [2, 1, 2, 1], [5, 9, 0, 7])
    }

    @Test func poolingShapes() throws {
        let p1 = try makeWindowLayer("MaxPooling1D", #"{"pool_size": 3, "padding": "same"}"#)
        #expect(try p1.outputShapes(for: [[nil, 10, 4]]) == [[nil, 4, 4]])
        #expect(try p1.outputShapes(for: [[nil, nil, 4]]) == [[nil, nil, 4]])
        let v1 = try makeWindowLayer("MaxPooling1D", #"{"pool_size": 3, "strides": 1}"#)
        #expect(try v1.outputShapes(for: [[2, 10, nil]]) == [[2, 8, nil]])
        let p2 = try makeWindowLayer("MaxPooling2D", #"{"pool_size": [3, 2], "strides": [2, 2]}"#)
        #expect(try p2.outputShapes(for: [[nil, 7, 5, 3]]) == [[nil, 3, 2, 3]])
        #expect(p1.weights.isEmpty)
    }

    @Test func poolingErrors() throws {
        let p1 = try makeWindowLayer("MaxPooling1D", #"{"pool_size": 4}"#, name: "pool")
        let short = #expect(throws: KerasError.self) { try p1.outputShapes(for: [[nil, 3, 2]]) }
        #expect(short?.kind == .shape)
        #expect(short?.message.contains("pool") == true)
        #expect((#expect(throws: KerasError.self) { try p1.outputShapes(for: [[nil, 3]]) })?.kind == .shape)
        #expect((#expect(throws: KerasError.self) { try p1.call([Tensor(zeros: [1, 3, 2])]) })?.kind == .shape)
        for config in [#"{"pool_size": 2, "data_format": "channels_first"}"#, #"{"pool_size": 2, "padding": "causal"}"#,
                       #"{"pool_size": 0}"#] {
            let e = #expect(throws: KerasError.self, "\(config)") { try makeWindowLayer("MaxPooling1D", config) }
            #expect(e?.kind == .unsupported, "\(config)")
        }
    }
}
