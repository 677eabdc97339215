import CKernels
import Dispatch
import Foundation

/// Single-precision matrix products, the hot path of dense layers, im2col convolutions and recurrences.
///
/// All matrices are row-major. With enough rows, `B` is packed into zero-padded panels of
/// `Panel.scalarCount` columns and `C` is computed in `tileRows × Panel.scalarCount` register tiles,
/// `depthBlock` steps of `k` at a time, `rowBlock` rows at a time (cache blocking). With few rows
/// (matrix-vector products such as a recurrent step at batch 1) the rows of `B` stream past rows of
/// `C` held in L1. Large products are split over the cores by rows or by column panels.
///
/// Every element of `C` is computed by the same sequence of operations (the bias added first, then
/// `+= a[p]·b[p]` for `p` in increasing order), whatever the path, the tiling, the batch size or the
/// number of threads, so results never depend on the split. On CPUs with AVX2 and FMA the products
/// run in the C kernels of `CKernels` with fused multiply-adds (as TensorFlow's own CPU kernels do);
/// elsewhere, or with the environment variable `KCONV_NO_FMA` set, in Swift with the multiply and
/// the add rounded separately.
package enum GEMM {
    /// One row of a column panel of `B`, and of a register tile of `C`.
    typealias Panel = SIMD16<Float>
    /// Whether the fused AVX2 kernels run (decided once per process).
    package static let fused = kconv_cpu_has_avx2_fma() != 0 && ProcessInfo.processInfo.environment["KCONV_NO_FMA"] == nil
    /// The kernels in use, as `kconv bench` reports them.
    package static var path: String { fused ? "avx2+fma" : "portable" }
    /// Rows of `C` per register tile: 6 × 16 floats in twelve AVX registers, or 2 × 16 in SSE ones.
    package static let tileRows = fused ? 6 : 2
    /// Steps of `k` per pass over a tile: a `depthBlock × 16` panel block is 16 KB, L1-resident.
    package static let depthBlock = 256
    /// Rows of `C` per pass over the panels, keeping that block of `A` in L2.
    package static let rowBlock = 96
    /// From this many rows on, `B` is packed and `C` computed in register tiles.
    package static let packingRows = 8
    /// Multiply-adds per thread below which a product stays on fewer threads (waking one costs tens of µs).
    package static let parallelWork = 1 << 21
    /// Threads for large products: the current `ThreadBudget`.
    package static var defaultThreads: Int { ThreadBudget.threads }

    /// `C[m×n] = A[m×k] · B[k×n]` (+ `bias[n]` on every row when given; `C` is overwritten, or added to
    /// when `accumulate`). `threads` caps the parallelism; the result does not depend on it.
    package static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, bias: UnsafePointer<Float>? = nil, accumulate: Bool = false,
        threads: Int = defaultThreads
    ) {
        guard m > 0, n > 0 else { return }
        if !accumulate {
            for i in 0..<m {
                let row = c + i * n
                if let bias { row.update(from: bias, count: n) } else { row.update(repeating: 0, count: n) }
            }
        } else if let bias {
            for i in 0..<m {
                let row = c + i * n
                for j in 0..<n { row[j] += bias[j] }
            }
        }
        guard k > 0 else { return }
        let width = Panel.scalarCount
        let panels = (n + width - 1) / width
        let tiles = (m + tileRows - 1) / tileRows
        guard m >= packingRows else {
            if fused { kconv_stream_fma(a, b, c, m, k, n) } else { stream(a, b, c, m: m, k: k, n: n) }
            return
        }
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: panels * k * width)
        defer { packed.deallocate() }
        let x = Operands(a: a, b: b, packed: packed, c: c)
        let parts = max(1, min(threads, m * n * k / parallelWork))
        let packParts = min(parts, panels)
        parallel(packParts) { t in
            for q in share(t, of: packParts, count: panels) {
                pack(x.b + q * width, ld: n, columns: min(width, n - q * width), depth: k, into: x.packed + q * k * width)
            }
        }
        // Split rows when every part gets a few tiles, else column panels.
        let splitsRows = tiles >= 8 * parts || panels < parts
        parallel(parts) { t in
            if splitsRows {
                let share = share(t, of: parts, count: tiles)
                let rows = share.lowerBound * tileRows..<min(m, share.upperBound * tileRows)
                tiled(x.a, x.packed, x.c, rows: rows, panels: 0..<panels, k: k, n: n)
            } else {
                tiled(x.a, x.packed, x.c, rows: 0..<m, panels: share(t, of: parts, count: panels), k: k, n: n)
            }
        }
    }

    /// The matrices as seen by the worker threads, which write disjoint parts of `packed` and `c`.
    private struct Operands: @unchecked Sendable {
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>
        let packed: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    }

    /// Runs `body` for `0..<parts`, on the calling thread alone when `parts` is 1.
    private static func parallel(_ parts: Int, _ body: @Sendable (Int) -> Void) {
        if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
    }

    /// Part `t` of `0..<count` cut into `parts` nearly equal ranges.
    private static func share(_ t: Int, of parts: Int, count: Int) -> Range<Int> {
        count * t / parts..<count * (t + 1) / parts
    }

    /// `C += A · B` for few rows, on one thread (they would share the cache lines of `C`): four rows of
    /// `C` at a time take each row of `B`.
    private static func stream(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                               m: Int, k: Int, n: Int) {
        var i = 0
        while i + 4 <= m {
            let c0 = c + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n
            let a0 = a + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k
            for p in 0..<k {
                let x0 = a0[p], x1 = a1[p], x2 = a2[p], x3 = a3[p]
                let brow = b + p * n
                for j in 0..<n {
                    let w = brow[j]
                    c0[j] += x0 * w
                    c1[j] += x1 * w
                    c2[j] += x2 * w
                    c3[j] += x3 * w
                }
            }
            i += 4
        }
        while i < m {
            let c0 = c + i * n
            let a0 = a + i * k
            for p in 0..<k {
                let x0 = a0[p]
                let brow = b + p * n
                for j in 0..<n { c0[j] += x0 * brow[j] }
            }
            i += 1
        }
    }

    /// Copies `columns` (≤ 16) columns of `depth` rows of `b` into a zero-padded `depth × 16` panel.
    private static func pack(_ b: UnsafePointer<Float>, ld: Int, columns: Int, depth: Int, into dst: UnsafeMutablePointer<Float>) {
        let width = Panel.scalarCount
        for p in 0..<depth {
            let row = dst + p * width
            row.update(from: b + p * ld, count: columns)
            (row + columns).update(repeating: 0, count: width - columns)
        }
    }

    /// `C[rows, panels] += A[rows, :] · B[:, panels]` from the packed panels of `B`.
    private static func tiled(_ a: UnsafePointer<Float>, _ packed: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                              rows: Range<Int>, panels: Range<Int>, k: Int, n: Int) {
        let width = Panel.scalarCount
        var i0 = rows.lowerBound
        while i0 < rows.upperBound {
            let i1 = min(i0 + rowBlock, rows.upperBound)
            var p0 = 0
            while p0 < k {
                let depth = min(depthBlock, k - p0)
                for q in panels {
                    let panel = packed + (q * k + p0) * width
                    let columns = min(width, n - q * width)
                    var i = i0
                    while i < i1 {
                        let tile = min(tileRows, i1 - i)
                        if fused {
                            kconv_tile_fma(a + i * k + p0, k, panel, c + i * n + q * width, n, Int32(tile), Int32(columns), depth)
                        } else {
                            kernel(a + i * k + p0, lda: k, panel, c + i * n + q * width, ldc: n,
                                   rows: tile, columns: columns, depth: depth)
                        }
                        i += tile
                    }
                }
                p0 += depth
            }
            i0 = i1
        }
    }

    /// `C[rows × columns] += A[rows × depth] · B[depth × 16]` for `rows` ≤ `tileRows`, `columns` ≤ 16.
    @inline(__always)
    private static func kernel(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>,
                               _ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, depth: Int) {
        let width = Panel.scalarCount
        if rows == 2, columns == width {
            var c0 = load(c), c1 = load(c + ldc)
            var a0 = a, pb = b
            let end = a + depth
            while a0 < end {
                let w = load(pb)
                c0 += Panel(repeating: a0[0]) * w
                c1 += Panel(repeating: a0[lda]) * w
                a0 += 1
                pb += width
            }
            store(c0, c)
            store(c1, c + ldc)
            return
        }
        // Edge tiles, one row at a time.
        for r in 0..<rows {
            let cr = c + r * ldc
            var acc = Panel()
            if columns == width { acc = load(cr) } else { for j in 0..<columns { acc[j] = cr[j] } }
            var ar = a + r * lda, pb = b
            let end = ar + depth
            while ar < end {
                acc += Panel(repeating: ar[0]) * load(pb)
                ar += 1
                pb += width
            }
            if columns == width { store(acc, cr) } else { for j in 0..<columns { cr[j] = acc[j] } }
        }
    }

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> Panel {
        UnsafeRawPointer(p).loadUnaligned(as: Panel.self)
    }

    @inline(__always) private static func load(_ p: UnsafeMutablePointer<Float>) -> Panel {
        UnsafeRawPointer(p).loadUnaligned(as: Panel.self)
    }

    @inline(__always) private static func store(_ v: Panel, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Panel.self)
    }

    /// Array convenience: `A[m×k] · B[k×n] (+ bias)`.
    package static func multiply(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, bias: [Float]? = nil) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0 else { return c }
        if k == 0 {
            if let bias { for i in 0..<m { for j in 0..<n { c[i * n + j] = bias[j] } } }
            return c
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    if let bias {
                        bias.withUnsafeBufferPointer { pbias in
                            multiply(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, m: m, k: k, n: n, bias: pbias.baseAddress)
                        }
                    } else {
                        multiply(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, m: m, k: k, n: n)
                    }
                }
            }
        }
        return c
    }

    /// `A[i]·B[i]` for each of `batch` consecutive pairs of row-major `m×k` and `k×n` matrices.
    package static func batched(_ a: [Float], _ b: [Float], batch: Int, m: Int, k: Int, n: Int) -> [Float] {
        var c = [Float]()
        c.reserveCapacity(batch * m * n)
        for i in 0..<batch {
            c += multiply(Array(a[i * m * k..<(i + 1) * m * k]), Array(b[i * k * n..<(i + 1) * k * n]), m: m, k: k, n: n)
        }
        return c
    }
}
