/// A matrix `B (rows × columns)` in the layout every GEMM kernel reads: zero-padded panels of
/// `panelWidth` columns, panel `q` at `pointer + q·rows·panelWidth`, its row `p` at `+ p·panelWidth`.
///
/// Layers pack their weights once, when they are built; a product then never copies them again.
/// The layout is the same on every kernel path. `@unchecked Sendable`: written only in `init`.
package final class PackedMatrix: @unchecked Sendable {
    /// Columns per panel: one 512-bit register, two 256-bit ones, four NEON ones.
    package static let panelWidth = 16
    /// `k`, the rows of `B`.
    package let rows: Int
    /// `n`, the columns of `B`.
    package let columns: Int
    /// The panels, 64-byte aligned (never empty underneath).
    package let pointer: UnsafePointer<Float>
    private let storage: UnsafeMutableRawPointer

    /// Panels of `columns`: `⌈columns / panelWidth⌉`.
    package var panels: Int { (columns + Self.panelWidth - 1) / Self.panelWidth }

    private init(rows: Int, columns: Int, storage: UnsafeMutableRawPointer) {
        (self.rows, self.columns, self.storage) = (rows, columns, storage)
        pointer = UnsafePointer(storage.assumingMemoryBound(to: Float.self))
    }

    /// Packs the row-major `rows × columns` matrix at `b`.
    package convenience init(_ b: UnsafePointer<Float>, rows: Int, columns: Int) {
        self.init(rows: rows, columns: columns, storage: Self.pack(b, rows: rows, columns: columns))
    }

    /// Packs the row-major `rows × columns` matrix `b` (`rows·columns` values).
    package convenience init(_ b: [Float], rows: Int, columns: Int) {
        precondition(b.count == rows * columns, "PackedMatrix: \(b.count) values for \(rows) × \(columns)")
        let storage = b.withUnsafeBufferPointer { Self.pack($0.baseAddress, rows: rows, columns: columns) }
        self.init(rows: rows, columns: columns, storage: storage)
    }

    /// New storage holding the row-major `rows × columns` matrix at `b` (`nil` when it is empty)
    /// in the packed layout.
    private static func pack(_ b: UnsafePointer<Float>?, rows: Int, columns: Int) -> UnsafeMutableRawPointer {
        let width = panelWidth
        let panels = (columns + width - 1) / width
        let count = max(1, panels * rows * width)
        let storage = allocate(byteCount: count * MemoryLayout<Float>.stride)
        let floats = storage.bindMemory(to: Float.self, capacity: count)
        guard let b, panels * rows > 0 else {
            floats.initialize(to: 0)
            return storage
        }
        // Row by row, so that `b` is read in order; full panel rows copied as one SIMD value, not
        // one `memmove` call each; every value written once: the matrix, then only the padding's
        // zeros. (Panel by panel, with `memmove` and after zeroing all of the storage, packing
        // A's 11776 × 112 LSTM kernel took ~1 ms more.)
        let full = columns / width
        let used = columns - full * width
        for p in 0..<rows {
            let source = UnsafeRawPointer(b + p * columns)
            for q in 0..<full {
                let value = source.loadUnaligned(fromByteOffset: q * width * 4, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(floats + (q * rows + p) * width).storeBytes(of: value, as: SIMD16<Float>.self)
            }
            if used > 0 {
                let row = floats + (full * rows + p) * width
                row.initialize(from: b + p * columns + full * width, count: used)
                (row + used).initialize(repeating: 0, count: width - used)
            }
        }
        return storage
    }

    /// `byteCount` bytes, 64-byte aligned; from 2 MiB on, 2 MiB-aligned on huge pages (``HugePages``):
    /// ~1.5 ms less to pack A's 5.3 MB LSTM kernel on a VM.
    private static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= HugePages.size else { return .allocate(byteCount: byteCount, alignment: 64) }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: HugePages.size)
        HugePages.advise(UnsafeMutableRawBufferPointer(start: storage, count: byteCount))
        return storage
    }

    /// The matrix back in row-major order.
    package func unpacked() -> [Float] {
        let width = Self.panelWidth
        var out = [Float](repeating: 0, count: rows * columns)
        for q in 0..<panels {
            let used = min(width, columns - q * width)
            for p in 0..<rows {
                for j in 0..<used { out[p * columns + q * width + j] = pointer[(q * rows + p) * width + j] }
            }
        }
        return out
    }

    deinit { storage.deallocate() }
}
