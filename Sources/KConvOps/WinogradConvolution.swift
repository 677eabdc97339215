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
        var matrices: [PackedMatrix] = []
        // Row a of G·g for every channel and filter (its 3 columns), then the 4 matrices (a, b) from it,
        // each packed from one reused buffer: no more than a matrix of scratch.
        var rowOfGg = [(Double, Double, Double)](repeating: (0, 0, 0), count: plane)
        var matrix = [Float](repeating: 0, count: plane)
        kernel.withUnsafeBufferPointer { w in
            for a in 0..<4 {
                for e in 0..<plane {
                    let column = { (kx: Int) in
                        g[a].0 * Double(w[kx * plane + e]) + g[a].1 * Double(w[(3 + kx) * plane + e])
                            + g[a].2 * Double(w[(6 + kx) * plane + e])
                    }
                    rowOfGg[e] = (column(0), column(1), column(2))
                }
                for b in 0..<4 {
                    for e in 0..<plane {
                        let t = rowOfGg[e]
                        matrix[e] = Float(g[b].0 * t.0 + g[b].1 * t.1 + g[b].2 * t.2)
                    }
                    matrices.append(PackedMatrix(matrix, rows: channels, columns: filters))
                }
            }
        }
        transformed = matrices
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

    /// Floats of scratch (transformed tiles and products) one block may use: 256 KB, in L2 with the
    /// transformed kernel (A at batch 64 ran as fast with 256 KB, 512 KB and 1 MB).
    private static let blockScratch = 1 << 16

    /// `convolve` on raw buffers. The tiles are taken in strips: a row of tiles (one image's tiles of
    /// two output rows), or a part of one where a row alone would overflow the scratch. Runs of strips
    /// (blocks) are transformed, multiplied and transformed back while in cache, then activated. Large
    /// convolutions run the blocks on all cores (same result).
    private func run(_ input: UnsafePointer<Float>, plan p: WindowPlan, bias: UnsafePointer<Float>,
                     output: UnsafeMutablePointer<Float>, activation: Activation, path: GEMM.Path) {
        let maxTiles = max(1, Self.blockScratch / (16 * (channels + filters)))
        let tiling = Tiling(plan: p, stripTiles: maxTiles)
        let stripsPerBlock = max(1, maxTiles / tiling.stripTiles)
        let work = p.outputPositions * 9 * channels * filters
        let threads = max(1, min(GEMM.defaultThreads, work / GEMM.parallelWork))
        // As many blocks on every part (of nearly equal size), and none over the scratch's size.
        let strips = tiling.strips
        let parts = min(threads, strips)
        let needed = (strips + stripsPerBlock - 1) / stripsPerBlock
        let blocks = min(strips, (needed + parts - 1) / parts * parts)
        let layout = Scratch(tiles: (strips + blocks - 1) / blocks * tiling.stripTiles, channels: channels, filters: filters)
        let x = Operands(input: input, bias: bias, output: output)
        Parallel.run(parts: parts, threads: parts) { part in
            let v = UnsafeMutablePointer<Float>.allocate(capacity: layout.floats)
            defer { v.deallocate() }
            for block in blocks * part / parts..<blocks * (part + 1) / parts {
                self.block(strips * block / blocks..<strips * (block + 1) / blocks, tiling, plan: p, x, scratch: v,
                           layout: layout, activation: activation, path: path)
            }
        }
    }

    /// How the 2×2 output tiles of a plan are taken in strips of at most `stripTiles` tiles side by
    /// side, one row of tiles after another.
    private struct Tiling {
        let tilesPerRow: Int, tileRowsPerImage: Int, stripTiles: Int, stripsPerRow: Int, strips: Int

        init(plan p: WindowPlan, stripTiles most: Int) {
            tilesPerRow = (p.outWidth + 1) / 2
            tileRowsPerImage = (p.outHeight + 1) / 2
            stripTiles = min(tilesPerRow, most)
            stripsPerRow = (tilesPerRow + stripTiles - 1) / stripTiles
            strips = p.batch * tileRowsPerImage * stripsPerRow
        }

        /// Strip `s`: its image, its first output row, its first tile in the row, and its tiles.
        func strip(_ s: Int) -> (image: Int, y: Int, tile: Int, tiles: Int) {
            let row = s / stripsPerRow, tile = s % stripsPerRow * stripTiles
            return (row / tileRowsPerImage, 2 * (row % tileRowsPerImage), tile, min(stripTiles, tilesPerRow - tile))
        }
    }

    /// The strips `strips`: their input tiles transformed into `scratch` (16 matrices of
    /// `tiles × channels`, as `layout` places them), multiplied into the 16 product matrices after
    /// them, transformed back into the output with the bias, then `activation` over the outputs.
    private func block(_ strips: Range<Int>, _ tiling: Tiling, plan p: WindowPlan, _ x: Operands,
                       scratch v: UnsafeMutablePointer<Float>, layout: Scratch, activation: Activation, path: GEMM.Path) {
        let kernelPath = path.kernelPath ?? 0
        let products = v + layout.products
        let rowLength = p.width * channels, outRowLength = p.outWidth * filters
        var tiles = 0
        for s in strips {
            let (image, y, tile, count) = tiling.strip(s)
            let source = x.input + image * p.height * rowLength, y0 = y - p.padTop
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 4) { lines in
                for i in 0..<4 { lines[i] = (0..<p.height).contains(y0 + i) ? source + (y0 + i) * rowLength : nil }
                kconv_winograd_input(kernelPath, lines.baseAddress, p.width, channels, 2 * tile - p.padLeft, count,
                                     v + tiles * channels, layout.inputStride)
            }
            tiles += count
        }
        zeros.withUnsafeBufferPointer { zero in
            for k in 0..<16 {
                GEMM.multiply(v + k * layout.inputStride, transformed[k], products + k * layout.productStride, m: tiles,
                              bias: zero.baseAddress, threads: 1, path: path)
            }
        }
        tiles = 0
        for s in strips {
            let (image, y, tile, count) = tiling.strip(s)
            let target = x.output + image * p.outHeight * outRowLength + 2 * tile * filters
            let columns = min(2 * count, p.outWidth - 2 * tile)
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>?.self, capacity: 2) { lines in
                for i in 0..<2 { lines[i] = y + i < p.outHeight ? target + (y + i) * outRowLength : nil }
                kconv_winograd_output(kernelPath, products + tiles * filters, layout.productStride, filters, count, x.bias,
                                      lines.baseAddress, columns)
                // Strips of whole rows: the block's outputs are contiguous, activated below in one pass.
                if tiling.stripsPerRow > 1 {
                    for case let line? in lines {
                        activation.apply(UnsafeMutableBufferPointer(start: line, count: columns * filters), rowLength: filters)
                    }
                }
            }
            tiles += count
        }
        guard tiling.stripsPerRow == 1 else { return }
        let first = tiling.strip(strips.lowerBound), last = tiling.strip(strips.upperBound - 1)
        let start = (first.image * p.outHeight + first.y) * outRowLength
        let end = (last.image * p.outHeight + min(last.y + 2, p.outHeight)) * outRowLength
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
