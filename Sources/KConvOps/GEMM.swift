import CKernels
import Foundation

/// Single-precision matrix products, the hot path of dense layers, im2col convolutions and recurrences.
///
/// All matrices are row-major. `B` is read from a `PackedMatrix`: zero-padded panels of
/// `PackedMatrix.panelWidth` columns, made once when a layer is built (weights), or per call for a
/// product of two run-time tensors. `C` is computed in register tiles by the kernels of one `Path`,
/// chosen once per process from the CPU's features: AVX-512F, AVX2 + FMA, NEON (C kernels in
/// `CKernels`, fused multiply-adds as TensorFlow's own CPU kernels use), or elsewhere (or with the
/// environment variable `KCONV_NO_FMA` set) Swift with the multiply and the add rounded separately.
/// `KCONV_KERNELS=avx512|avx2|neon|portable` picks a path the CPU has (for comparisons).
///
/// Every element of `C` is computed by the same sequence of operations (the bias added first, then
/// `+= a[p]·b[p]` for `p` in increasing order), whatever the fused path, the tiling, the batch size or
/// the number of threads: the fused paths agree bit for bit, and results never depend on the split.
package enum GEMM {
    /// A family of kernels.
    package enum Path: String, Sendable, CaseIterable {
        case avx512, avx2, neon, portable

        /// The `CKernels` path constant (nil for the Swift path).
        var kernelPath: Int32? {
            switch self {
            case .avx512: return Int32(KCONV_PATH_AVX512)
            case .avx2: return Int32(KCONV_PATH_AVX2)
            case .neon: return Int32(KCONV_PATH_NEON)
            case .portable: return nil
            }
        }

        /// Whether this CPU runs the path.
        package var isAvailable: Bool { kernelPath.map { kconv_path_available($0) != 0 } ?? true }
    }

    /// The paths this CPU runs, widest first (always ending with `.portable`).
    package static let availablePaths = Path.allCases.filter(\.isAvailable)

    /// The path in use (decided once per process).
    package static let path: Path = {
        let environment = ProcessInfo.processInfo.environment
        if environment["KCONV_NO_FMA"] != nil { return .portable }
        if let name = environment["KCONV_KERNELS"], let chosen = Path(rawValue: name), chosen.isAvailable { return chosen }
        return availablePaths[0]
    }()

    /// Whether the fused C kernels run.
    package static var fused: Bool { path != .portable }
    /// Rows of `C` per register tile of the Swift path: 2 × 16 floats in SSE registers.
    static let portableTileRows = 2
    /// Steps of `k` per pass over a tile (Swift path): a `depthBlock × 16` panel block is 16 KB.
    static let depthBlock = 256
    /// Rows of `C` per pass over the panels (Swift path), keeping that block of `A` in L2.
    static let rowBlock = 96
    /// Rows per part when rows are split over threads (a multiple of every path's tile rows).
    static let rowGrain = 6
    /// Multiply-adds per thread below which a product stays on fewer threads (waking one costs tens of µs).
    package static let parallelWork = 1 << 21
    /// Threads for large products: the current `ThreadBudget`.
    package static var defaultThreads: Int { ThreadBudget.threads }

    /// `C[m×n] = A[m×k] · B[k×n]` (+ `bias[n]` on every row when given; `C` is overwritten, or added to
    /// when `accumulate`), `B` packed. `threads` caps the parallelism; the result does not depend on it.
    package static func multiply(
        _ a: UnsafePointer<Float>, _ b: PackedMatrix, _ c: UnsafeMutablePointer<Float>,
        m: Int, bias: UnsafePointer<Float>? = nil, accumulate: Bool = false,
        threads: Int = defaultThreads, path: Path = path
    ) {
        let k = b.rows, n = b.columns
        guard m > 0, n > 0 else { return }
        // The C kernels start from the bias themselves (one pass less over C).
        let kernelBias = !accumulate && k > 0 && path.kernelPath != nil ? bias : nil
        if !accumulate, kernelBias == nil {
            for i in 0..<m {
                let row = c + i * n
                if let bias { row.update(from: bias, count: n) } else { row.update(repeating: 0, count: n) }
            }
        } else if accumulate, let bias {
            for i in 0..<m {
                let row = c + i * n
                for j in 0..<n { row[j] += bias[j] }
            }
        }
        guard k > 0 else { return }
        let panels = b.panels
        let grains = (m + rowGrain - 1) / rowGrain
        let parts = max(1, min(threads, m * n * k / parallelWork, max(grains, panels)))
        let x = Operands(a: a, b: b.pointer, bias: kernelBias, c: c)
        // Split rows when every part gets a few tiles, else column panels.
        let splitsRows = grains >= 4 * parts || panels < parts
        Parallel.run(parts: parts, threads: parts) { t in
            if splitsRows {
                let share = share(t, of: parts, count: grains)
                let rows = share.lowerBound * rowGrain..<min(m, share.upperBound * rowGrain)
                product(x.a + rows.lowerBound * k, lda: k, x.b, panelRows: k, depth: k, n: n, bias: x.bias,
                        x.c + rows.lowerBound * n, rows: rows.count, panels: 0..<panels, path: path)
            } else {
                product(x.a, lda: k, x.b, panelRows: k, depth: k, n: n, bias: x.bias, x.c, rows: m,
                        panels: share(t, of: parts, count: panels), path: path)
            }
        }
    }

    /// `C[m×n] += A[m×d] · B[depth, :]` on the calling thread, for the rows `depth` (d of them) of a
    /// packed `B`; `A` has leading dimension `lda` (its rows may overlap), `C` is contiguous. The
    /// products of consecutive row blocks of `B` into the same `C` make the operations of one product.
    package static func multiplyAdding(_ a: UnsafePointer<Float>, lda: Int, _ b: PackedMatrix, depth: Range<Int>,
                                       _ c: UnsafeMutablePointer<Float>, m: Int, path: Path = path) {
        guard m > 0, b.columns > 0, !depth.isEmpty else { return }
        product(a, lda: lda, b.pointer + depth.lowerBound * PackedMatrix.panelWidth, panelRows: b.rows, depth: depth.count,
                n: b.columns, bias: nil, c, rows: m, panels: 0..<b.panels, path: path)
    }

    /// `C[m×n] = A[m×k] · B[k×n]` with `B` row-major: packed for this call, then as above.
    package static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        m: Int, k: Int, n: Int, bias: UnsafePointer<Float>? = nil, accumulate: Bool = false,
        threads: Int = defaultThreads
    ) {
        guard m > 0, n > 0 else { return }
        multiply(a, PackedMatrix(b, rows: k, columns: n), c, m: m, bias: bias, accumulate: accumulate, threads: threads)
    }

    /// `C[rows × n] += A[rows × depth] · B[depth × n]` (or `C = bias + A·B`, C kernels only) for the
    /// columns of `panels`, on one thread; `b` points at the first row used of panel 0, panels being
    /// `panelRows` long.
    private static func product(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, panelRows: Int, depth: Int,
                                n: Int, bias: UnsafePointer<Float>?, _ c: UnsafeMutablePointer<Float>, rows: Int,
                                panels: Range<Int>, path: Path) {
        guard rows > 0, !panels.isEmpty else { return }
        if let kernelPath = path.kernelPath {
            kconv_gemm_packed(kernelPath, a, lda, b, panelRows, depth, n, bias, c, n, rows, panels.lowerBound, panels.upperBound)
        } else {
            tiled(a, lda: lda, b, panelRows: panelRows, depth: depth, n: n, c, rows: rows, panels: panels)
        }
    }

    /// The matrices as seen by the worker threads, which write disjoint parts of `c`.
    private struct Operands: @unchecked Sendable {
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>
    }

    /// Part `t` of `0..<count` cut into `parts` nearly equal ranges.
    private static func share(_ t: Int, of parts: Int, count: Int) -> Range<Int> {
        count * t / parts..<count * (t + 1) / parts
    }

    /// The Swift path of `product`.
    private static func tiled(_ a: UnsafePointer<Float>, lda: Int, _ packed: UnsafePointer<Float>, panelRows: Int, depth k: Int,
                              n: Int, _ c: UnsafeMutablePointer<Float>, rows: Int, panels: Range<Int>) {
        let width = Panel.scalarCount
        var i0 = 0
        while i0 < rows {
            let i1 = min(i0 + rowBlock, rows)
            var p0 = 0
            while p0 < k {
                let depth = min(depthBlock, k - p0)
                for q in panels {
                    let panel = packed + (q * panelRows + p0) * width
                    let columns = min(width, n - q * width)
                    var i = i0
                    while i < i1 {
                        let tile = min(portableTileRows, i1 - i)
                        kernel(a + i * lda + p0, lda: lda, panel, c + i * n + q * width, ldc: n,
                               rows: tile, columns: columns, depth: depth)
                        i += tile
                    }
                }
                p0 += depth
            }
            i0 = i1
        }
    }

    /// One row of a column panel of `B`, and of a register tile of `C` (Swift path).
    typealias Panel = SIMD16<Float>

    /// `C[rows × columns] += A[rows × depth] · B[depth × 16]` for `rows` ≤ `portableTileRows`, `columns` ≤ 16.
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

    /// Array convenience: `A[m×k] · B[k×n] (+ bias)` with `B` packed.
    package static func multiply(_ a: [Float], _ b: PackedMatrix, m: Int, bias: [Float]? = nil) -> [Float] {
        a.withUnsafeBufferPointer { multiply($0, b, m: m, bias: bias) }
    }

    /// `A[m×k] · B[k×n] (+ bias)` with `B` packed, `A` read in place, `C` a new array.
    package static func multiply(_ a: UnsafeBufferPointer<Float>, _ b: PackedMatrix, m: Int, bias: [Float]? = nil) -> [Float] {
        let n = b.columns
        return [Float](unsafeUninitializedCapacity: m * n) { c, initialized in
            initialized = m * n
            // `multiply` writes every element of C: no zeros first (they cost a pass over C).
            guard let pc = c.baseAddress, m > 0, n > 0 else {
                c.initialize(repeating: 0)
                return
            }
            bias.withUnsafeBaseAddress { pbias in
                // An empty A (k = 0) still gives C = bias: any non-nil pointer serves.
                multiply(a.baseAddress ?? UnsafePointer(pc), b, pc, m: m, bias: pbias)
            }
        }
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
