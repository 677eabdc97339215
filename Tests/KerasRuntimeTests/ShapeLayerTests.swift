import Testing
@testable import KerasRuntime

@Suite("Permute, padding, cropping and upsampling")
struct ShapeLayerTests {
    private func run(_ className: String, _ config: String, _ x: Tensor) throws -> Tensor {
        let layer = try makeWindowLayer(className, config)
        let shape = try layer.outputShapes(for: [[nil] + x.shape.dropFirst().map { Optional($0) }])
        let y = try runWindowLayer(layer, x)
        #expect(shape == [[nil] + y.shape.dropFirst().map { Optional($0) }], "\(className) shape rule")
        return y
    }

    /// (1, 2, 3) = [[1, 2, 3], [4, 5, 6]].
    let seq = Tensor(uncheckedShape: [1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
    /// (1, 2, 2, 1) image [[1, 2], [3, 4]].
    let img = Tensor(uncheckedShape: [1, 2, 2, 1], scalars: [1, 2, 3, 4])

    @Test func permuteTransposesSampleAxes() throws {
        expectWindowClose(try run("Permute", #"{"dims": [2, 1]}"#, seq), shape: [1, 3, 2], [1, 4, 2, 5, 3, 6])
        // (1, 1, 2, 3) with dims (3, 1, 2) → (1, 3, 1, 2): out[c][0][h] = in[0][h][c].
        let x = Tensor(uncheckedShape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
        expectWindowClose(try run("Permute", #"{"dims": [3, 1, 2]}"#, x), shape: [1, 3, 1, 2], [1, 4, 2, 5, 3, 6])
        #expect(throws: KerasError.self) { try makeWindowLayer("Permute", #"{"dims": [1, 3]}"#) }
    }

    @Test func zeroPadding() throws {
        expectWindowClose(try run("ZeroPadding1D", #"{"padding": [1, 2]}"#, seq), shape: [1, 5, 3],
                          [0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0])
        // ((top 1, bottom 0), (left 0, right 1)).
        expectWindowClose(try run("ZeroPadding2D", #"{"padding": [[1, 0], [0, 1]]}"#, img), shape: [1, 3, 3, 1],
                          [0, 0, 0, 1, 2, 0, 3, 4, 0])
        // channels_first (1, C=1, 2, 2), symmetric 1 on the width only.
        let cf = Tensor(uncheckedShape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        expectWindowClose(try run("ZeroPadding2D", #"{"padding": [0, 1], "data_format": "channels_first"}"#, cf),
                          shape: [1, 1, 2, 4], [0, 1, 2, 0, 0, 3, 4, 0])
    }

    @Test func cropping() throws {
        expectWindowClose(try run("Cropping1D", #"{"cropping": [1, 0]}"#, seq), shape: [1, 1, 3], [4, 5, 6])
        let big = Tensor(uncheckedShape: [1, 3, 3, 1], scalars: (1...9).map(Float.init))
        expectWindowClose(try run("Cropping2D", #"{"cropping": [[1, 0], [0, 1]]}"#, big), shape: [1, 2, 2, 1], [4, 5, 7, 8])
        let layer = try makeWindowLayer("Cropping1D", #"{"cropping": [1, 1]}"#)
        #expect((#expect(throws: KerasError.self) { try layer.outputShapes(for: [[nil, 2, 3]]) })?.kind == .shape)
    }

    @Test func upsamplingNearest() throws {
        expectWindowClose(try run("UpSampling1D", #"{"size": 2}"#, seq), shape: [1, 4, 3], [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        expectWindowClose(try run("UpSampling2D", #"{"size": [1, 2]}"#, img), shape: [1, 2, 4, 1], [1, 1, 2, 2, 3, 3, 4, 4])
    }

    @Test func upsamplingBilinearHalfPixel() throws {
        // Width 2 → 4, scale 0.5: sources −0.25, 0.25, 0.75, 1.25 → clamped lerps of [0, 4]: 0, 1, 3, 4.
        let row = Tensor(uncheckedShape: [1, 1, 2, 1], scalars: [0, 4])
        expectWindowClose(try run("UpSampling2D", #"{"size": [1, 2], "interpolation": "bilinear"}"#, row),
                          shape: [1, 1, 4, 1], [0, 1, 3, 4])
        // Both axes of [[0, 4], [8, 12]]: rows 0, 2, 6, 8 added to columns 0, 1, 3, 4.
        let sq = Tensor(uncheckedShape: [1, 2, 2, 1], scalars: [0, 4, 8, 12])
        let y = try run("UpSampling2D", #"{"interpolation": "bilinear"}"#, sq)
        let rows: [Float] = [0, 2, 6, 8], cols: [Float] = [0, 1, 3, 4]
        expectWindowClose(y, shape: [1, 4, 4, 1], rows.flatMap { r in cols.map { r + $0 } })
        #expect(throws: KerasError.self) { try makeWindowLayer("UpSampling2D", #"{"interpolation": "bicubic"}"#) }
    }
}
