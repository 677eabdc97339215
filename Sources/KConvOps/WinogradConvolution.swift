import CKernels

/// The Winograd F(2×2, 3×3) convolution, for 3×3 windows with unit strides and dilations over NHWC
/// inputs: each 2×2 block of outputs comes from its 4×4 input tile d as Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A.
/// Over all tiles and channels, the element-wise product is 16 matrix products of
/// `(tiles × channels) · (channels × filters)`, run by the packed GEMM: 16 multiply-adds per channel
/// and filter for 4 outputs, against 36 for the im2col product (2.25× fewer).
///
/// The transforms add and subtract (`CKernels`' `kconv_winograd_input` and `_output`), and the kernel's
/// transform `G·g·Gᵀ` is computed once in double precision and rounded; the products are the GEMM's.
/// So a result never depends on the batch, the tiles computed together or the threads, and every
/// fused path gives the same bits. The rounding differs from the direct product's: measured on 3×3
/// convolutions of 64 channels, its error against a double-precision reference is about 1.5–2× the
/// direct float product's (still within a few units in the last place of the sum's terms).
package final class WinogradConvolution: @unchecked Sendable {
    /// Input channels.
    package let channels: Int
    /// Output channels.
    package let filters: Int
    /// `G·g·Gᵀ`, element (i, j) of every channel and filter's 4×4 tile as a `channels × filters` matrix,
    /// at index `4i + j`.
    private let transformed: [PackedMatrix]
    /// `filters` zeros: the GEMM's starting values (so C is not filled with zeros first).
    private let zeros: [Float]

    /// Whether `WinogradConvolution` runs this convolution, and is faster than the im2col product: a
    /// 3×3 window with unit strides and dilations, and enough channels and filters for the 16
    /// products to run at the GEMM's speed.
    package static func applies(rows: WindowAxis, cols: WindowAxis, channels: Int, filters: Int) -> Bool {
        rows == WindowAxis(size: 3, stride: 1, dilation: 1) && cols == WindowAxis(size: 3, stride: 1, dilation: 1)
            && channels >= 16 && filters >= 16
    }

    /// Transforms and packs `kernel`, `(3, 3, channels, filters)` row-major.
    package init(kernel: [Float], channels: Int, filters: Int) {
        precondition(kernel.count == 9 * channels * filters, "WinogradConvolution: \(kernel.count) values for 3 × 3 × \(channels) × \(filters)")
        self.channels = channels
        self.filters = filters
        zeros = [Float](repeating: 0, count: filters)
        // G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]; U = G·g·Gᵀ per channel and filter, in double precision.
        let g: [(Double, Double, Double)] = [(1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1)]
        let plane = channels * filters
        var u = [[Float]](repeating: [Float](repeating: 0, count: plane), count: 16)
        kernel.withUnsafeBufferPointer { w in
            for e in 0..<plane {
                // t = G·g: row a, column kx.
                var t = [(Double, Double, Double)](repeating: (0, 0, 0), count: 4)
                for a in 0..<4 {
                    let column = { (kx: Int) in
                        g[a].0 * Double(w[kx * plane + e]) + g[a].1 * Double(w[(3 + kx) * plane + e])
                            + g[a].2 * Double(w[(6 + kx) * plane + e])
                    }
                    t[a] = (column(0), column(1), column(2))
                }
                for a in 0..<4 {
                    for b in 0..<4 { u[4 * a + b][e] = Float(g[b].0 * t[a].0 + g[b].1 * t[a].1 + g[b].2 * t[a].2) }
                }
            }
        }
        transformed = u.map { PackedMatrix($0, rows: channels, columns: filters) }
    }

    /// The convolution of `input` (NHWC as laid out in `plan`, whose windows `applies` accepts) plus
    /// `bias` (`filters`), then `activation`; returns `(batch, outHeight, outWidth, filters)` scalars.
    /// `path` picks the GEMM's kernels (for comparisons).
    package func convolve(_ input: [Float], plan: WindowPlan, bias: [Float]?, activation: Activation = .linear,
                          path: GEMM.Path = GEMM.path) -> [Float] {
        let total = plan.outputPositions * filters
        guard total > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: total) { out, initialized in
            input.withUnsafeBufferPointer { src in
                (bias ?? zeros).withUnsafeBufferPointer { b in
                    guard let src = src.baseAddress, let b = b.baseAddress, let o = out.baseAddress else {
                        out.initialize(repeating: 0)  // unreachable: total > 0 means every buffer has elements
                        return
                    }
                    run(src, plan: plan, bias: b, output: o, activation: activation, path: path)
                }
            }
            initialized = total
        }
    }

    /// Floats of scratch (transformed tiles and products) one block may use: 512 KB, in L2 with the
    /// transformed kernel.
    private static let blockScratch = 1 << 17

    /// `convolve` on raw buffers. Rows of tiles (a row: one image's tiles of two output rows) are cut
    /// into blocks; each block is transformed, multiplied and transformed back while in cache, then
    /// activated. Large convolutions run the blocks on all cores (same result).
    private func run(_ input: UnsafePointer<Float>, plan p: WindowPlan, bias: UnsafePointer<Float>,
                     output: UnsafeMutablePointer<Float>, activation: Activation, path: GEMM.Path) {
        let tilesPerRow = (p.outWidth + 1) / 2, tileRowsPerImage = (p.outHeight + 1) / 2
        let tileRows = p.batch * tileRowsPerImage
        let rowsPerBlock = max(1, Self.blockScratch / (16 * (channels + filters) * tilesPerRow))
        let work = p.outputPositions * 9 * channels * filters
        let threads = max(1, min(GEMM.defaultThreads, work / GEMM.parallelWork))
        // As many blocks on every part (of nearly equal size), and none over the scratch's size.
        let parts = min(threads, tileRows)
        let needed = (tileRows + rowsPerBlock - 1) / rowsPerBlock
        let blocks = min(tileRows, (needed + parts - 1) / parts * parts)
        let layout = Scratch(tiles: ((tileRows + blocks - 1) / blocks) * tilesPerRow, channels: channels, filters: filters)
        let x = Operands(input: input, bias: bias, output: output)
        Parallel.run(parts: parts, threads: parts) { part in
            let v = UnsafeMutablePointer<Float>.allocate(capacity: layout.floats)
            defer { v.deallocate() }
            for block in blocks * part / parts..<blocks * (part + 1) / parts {
                self.block(tileRows * block / blocks..<tileRows * (block + 1) / blocks, tilesPerRow: tilesPerRow,
                           tileRowsPerImage: tileRowsPerImage, plan: p, x, scratch: v, layout: layout, activation: activation, path: path)
            }
        }
    }

    /// The tile rows `rows`: their input tiles transformed into `scratch` (16 matrices of
    /// `tiles × channels`, as `layout` places them), multiplied into the 16 product matrices after them, transformed back
    /// into the output with the bias, then `activation` over the output rows they cover.
    private func block(_ rows: Range<Int>, tilesPerRow: Int, tileRowsPerImage: Int, plan p: WindowPlan, _ x: Operands,
                       scratch v: UnsafeMutablePointer<Float>, layout: Scratch, activation: Activation, path: GEMM.Path) {
        let kernelPath = path.kernelPath ?? 0
        let tiles = rows.count * tilesPerRow
        let products = v + layout.products
        let rowLength = p.width * channels, outRowLength = p.outWidth * filters
        for (r, tileRow) in rows.enumerated() {
            let image = tileRow / tileRowsPerImage, y0 = 2 * (tileRow % tileRowsPerImage) - p.padTop
            let source = x.input + image * p.height * rowLength
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 4) { lines in
                for i in 0..<4 { lines[i] = (0..<p.height).contains(y0 + i) ? source + (y0 + i) * rowLength : nil }
                kconv_winograd_input(kernelPath, lines.baseAddress, p.width, channels, -p.padLeft, tilesPerRow,
                                     v + r * tilesPerRow * channels, layout.inputStride)
            }
        }
        zeros.withUnsafeBufferPointer { zero in
            for k in 0..<16 {
                GEMM.multiply(v + k * layout.inputStride, transformed[k], products + k * layout.productStride, m: tiles,
                              bias: zero.baseAddress, threads: 1, path: path)
            }
        }
        for (r, tileRow) in rows.enumerated() {
            let image = tileRow / tileRowsPerImage, y0 = 2 * (tileRow % tileRowsPerImage)
            let target = x.output + image * p.outHeight * outRowLength
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>?.self, capacity: 2) { lines in
                for i in 0..<2 { lines[i] = y0 + i < p.outHeight ? target + (y0 + i) * outRowLength : nil }
                kconv_winograd_output(kernelPath, products + r * tilesPerRow * filters, layout.productStride, filters,
                                      tilesPerRow, x.bias, lines.baseAddress, p.outWidth)
            }
        }
        let first = rows.lowerBound, last = rows.upperBound - 1
        let start = (first / tileRowsPerImage * p.outHeight + 2 * (first % tileRowsPerImage)) * outRowLength
        let end = (last / tileRowsPerImage * p.outHeight + min(2 * (last % tileRowsPerImage) + 2, p.outHeight)) * outRowLength
        activation.apply(UnsafeMutableBufferPointer(start: x.output + start, count: end - start), rowLength: filters)
    }

    /// Where a block's 16 transformed tile matrices (`tiles × channels`) and then its 16 product
    /// matrices (`tiles × filters`) lie in its scratch. Consecutive matrices are 64 bytes more than a
    /// matrix apart: at a power-of-two distance, the 16 streams of a transform fall into the same L1
    /// cache sets (measured: the output transform took 14 % of A's batch-64 time, against 8 % with the padding).
    private struct Scratch {
        let inputStride: Int, productStride: Int
        var products: Int { 16 * inputStride }
        var floats: Int { 16 * (inputStride + productStride) }

        init(tiles: Int, channels: Int, filters: Int) {
            inputStride = tiles * channels + 16
            productStride = tiles * filters + 16
        }
    }

    /// The buffers as seen by the worker threads, which write disjoint rows of `output`.
    private struct Operands: @unchecked Sendable {
        let input: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    }
}
