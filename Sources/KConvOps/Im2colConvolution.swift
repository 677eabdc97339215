
/// The im2col + GEMM convolution over NHWC inputs.
package enum ConvolutionKernel {
    /// Upper bound on the im2col patch buffer, in floats (4 MB).
    package static let patchBufferLimit = 1 << 20

    /// Cross-correlates `input` (NHWC as laid out in `plan`) with `kernel` `(kh, kw, in, filters)`,
    /// adds `bias` `(filters)`; returns `(batch, outH, outW, filters)` scalars, row-major.
    package static func convolve(_ input: [Float], plan: WindowPlan, kernel: [Float], filters: Int, bias: [Float]?) -> [Float] {
        let patchLength = plan.rows.size * plan.cols.size * plan.channels
        return convolve(input, plan: plan, kernel: PackedMatrix(kernel, rows: patchLength, columns: filters), bias: bias)
    }

    /// `convolve` with the kernel packed as a `(kh·kw·in, filters)` matrix, then `activation` (rows of
    /// `filters`) applied to each part of the output as soon as it is complete, while in cache.
    package static func convolve(_ input: [Float], plan: WindowPlan, kernel: PackedMatrix, bias: [Float]?,
                                 activation: Activation = .linear) -> [Float] {
        let filters = kernel.columns
        let positions = plan.outputPositions
        let total = positions * filters
        guard total > 0 else { return [] }
        guard kernel.rows > 0 else {
            // No input channels: every output is the bias.
            var out = bias.map { b in (0..<total).map { b[$0 % filters] } } ?? [Float](repeating: 0, count: total)
            out.withUnsafeMutableBufferPointer { activation.apply($0, rowLength: filters) }
            return out
        }
        return [Float](unsafeUninitializedCapacity: total) { out, initialized in
            input.withUnsafeBufferPointer { src in
                bias.withUnsafeBaseAddress { b in
                    guard let o = out.baseAddress, let src = src.baseAddress else {
                        out.initialize(repeating: 0)
                        return
                    }
                    run(src, plan: plan, kernel: kernel, bias: b, output: o, activation: activation)
                }
            }
            initialized = total
        }
    }

    /// `convolve` on raw buffers: `output` gets `(positions, filters)`, overwritten, then `activation`.
    /// Large convolutions split the positions into parts run on all cores, each with its own patch
    /// buffer (same result).
    package static func run(_ input: UnsafePointer<Float>, plan p: WindowPlan, kernel: PackedMatrix,
                            bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: Activation = .linear) {
        let patchLength = p.rows.size * p.cols.size * p.channels, filters = kernel.columns
        let positions = p.outputPositions
        // 1×1 kernels with stride 1 need no patches: the input rows already are the patch rows.
        if p.rows.size == 1, p.cols.size == 1, p.rows.stride == 1, p.cols.stride == 1, p.padTop == 0, p.padLeft == 0 {
            GEMM.multiply(input, kernel, output, m: positions, bias: bias)
            activation.apply(UnsafeMutableBufferPointer(start: output, count: positions * filters), rowLength: filters)
            return
        }
        let threads = max(1, min(GEMM.defaultThreads, positions * patchLength * filters / GEMM.parallelWork))
        if needsNoPatches(p) {
            implicit(input, plan: p, kernel: kernel, bias: bias, output: output, activation: activation, threads: threads)
            return
        }
        // Four parts per thread, so a thread slowed by other work leaves its parts to the others.
        let parts = threads == 1 ? 1 : min(4 * threads, positions)
        guard parts > 1 else {
            run(input, plan: p, kernel: kernel, bias: bias, output: output, activation: activation, positions: 0..<positions, parts: 1)
            return
        }
        let x = Operands(input: input, kernel: kernel, bias: bias, output: output)
        Parallel.run(parts: parts, threads: threads) { t in
            let share = positions * t / parts..<positions * (t + 1) / parts
            run(x.input, plan: p, kernel: x.kernel, bias: x.bias, output: x.output, activation: activation, positions: share, parts: parts)
        }
    }

    /// Whether every window lies inside the input (no padding) with unit column dilation: then the
    /// patches of one output row, tap row by tap row, are overlapping rows of the input. (Also for
    /// one input channel: A's first 3×3 convolution measured as fast or faster than with patches.)
    private static func needsNoPatches(_ p: WindowPlan) -> Bool {
        p.cols.dilation == 1 && p.padTop == 0 && p.padLeft == 0 && p.outHeight > 0 && p.outWidth > 0
            && (p.outHeight - 1) * p.rows.stride + (p.rows.size - 1) * p.rows.dilation < p.height
            && (p.outWidth - 1) * p.cols.stride + p.cols.size - 1 < p.width
    }

    /// The convolution without patches (implicit GEMM): each output row is `kh` products, one per tap
    /// row, of `outWidth` overlapping input rows (stride `sx·C`, `kw·C` long) by that tap row's block
    /// of the kernel, accumulated after the bias in the patch's order — the operations of the patch
    /// product, without writing the patches. Output rows are split over `threads`.
    private static func implicit(_ input: UnsafePointer<Float>, plan p: WindowPlan, kernel: PackedMatrix,
                                 bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: Activation,
                                 threads: Int) {
        let filters = kernel.columns, outRows = p.batch * p.outHeight
        let span = p.cols.size * p.channels, lda = p.cols.stride * p.channels
        let x = Operands(input: input, kernel: kernel, bias: bias, output: output)
        let parts = min(threads, outRows)
        let body: @Sendable (Int) -> Void = { t in
            for r in outRows * t / parts..<outRows * (t + 1) / parts {
                let b = r / p.outHeight, oy = r % p.outHeight
                let out = x.output + r * p.outWidth * filters
                for i in 0..<p.outWidth {
                    if let bias = x.bias { (out + i * filters).update(from: bias, count: filters) } else { (out + i * filters).update(repeating: 0, count: filters) }
                }
                for ky in 0..<p.rows.size {
                    let iy = oy * p.rows.stride + ky * p.rows.dilation
                    GEMM.multiplyAdding(x.input + (b * p.height + iy) * p.width * p.channels, lda: lda, x.kernel,
                                        depth: ky * span..<(ky + 1) * span, out, m: p.outWidth)
                }
                activation.apply(UnsafeMutableBufferPointer(start: out, count: p.outWidth * filters), rowLength: filters)
            }
        }
        Parallel.run(parts: parts, threads: parts, body)
    }

    /// The buffers as seen by the worker threads, which write disjoint rows of `output`.
    private struct Operands: @unchecked Sendable {
        let input: UnsafePointer<Float>, kernel: PackedMatrix, bias: UnsafePointer<Float>?
        let output: UnsafeMutablePointer<Float>
    }

    /// Output rows `positions` on the calling thread, patches `1/parts` of `patchBufferLimit` at a time.
    private static func run(_ input: UnsafePointer<Float>, plan p: WindowPlan, kernel: PackedMatrix,
                            bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: Activation,
                            positions: Range<Int>, parts: Int) {
        let filters = kernel.columns
        let kh = p.rows.size, kw = p.cols.size, c = p.channels
        let patchLength = kh * kw * c
        let chunkRows = max(1, min(positions.count, patchBufferLimit / parts / patchLength))
        let patch = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * patchLength)
        defer { patch.deallocate() }
        let rowSpan = kw * c
        let sy = p.rows.stride, sx = p.cols.stride, dy = p.rows.dilation, dx = p.cols.dilation
        var start = positions.lowerBound
        while start < positions.upperBound {
            let m = min(chunkRows, positions.upperBound - start)
            for r in 0..<m {
                let position = start + r
                let ox = position % p.outWidth
                let rest = position / p.outWidth
                let oy = rest % p.outHeight
                let b = rest / p.outHeight
                let dst = patch + r * patchLength
                let ix0 = ox * sx - p.padLeft
                for ky in 0..<kh {
                    let rowDst = dst + ky * rowSpan
                    let iy = oy * sy - p.padTop + ky * dy
                    guard iy >= 0, iy < p.height else {
                        rowDst.update(repeating: 0, count: rowSpan)
                        continue
                    }
                    let line = input + (b * p.height + iy) * p.width * c
                    if dx == 1, ix0 >= 0, ix0 + kw <= p.width {
                        rowDst.update(from: line + ix0 * c, count: rowSpan)
                        continue
                    }
                    for kx in 0..<kw {
                        let ix = ix0 + kx * dx
                        if ix >= 0, ix < p.width {
                            (rowDst + kx * c).update(from: line + ix * c, count: c)
                        } else {
                            (rowDst + kx * c).update(repeating: 0, count: c)
                        }
                    }
                }
            }
            GEMM.multiply(patch, kernel, output + start * filters, m: m, bias: bias, threads: 1)
            activation.apply(UnsafeMutableBufferPointer(start: output + start * filters, count: m * filters), rowLength: filters)
            start += m
        }
    }
}
