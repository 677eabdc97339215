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
        self.init(rows: rows, columns: columns,
                  storage: Self.pack(b, rows: rows, rowLength: columns, panels: Self.panelColumns(columns)))
    }

    /// Packs the row-major `rows × columns` matrix `b` (`rows·columns` values).
    package convenience init(_ b: [Float], rows: Int, columns: Int) {
        precondition(b.count == rows * columns, "PackedMatrix: \(b.count) values for \(rows) × \(columns)")
        let storage = b.withUnsafeBufferPointer {
            Self.pack($0.baseAddress, rows: rows, rowLength: columns, panels: Self.panelColumns(columns))
        }
        self.init(rows: rows, columns: columns, storage: storage)
    }

    /// Packs the row-major `(rows, gates·units)` matrix `b` of side-by-side gate blocks in the gate-block
    /// layout of `GateBlocks.blockColumns(units:, gates:, block: panelWidth)`: for each block of
    /// `panelWidth` units, one panel per gate. `columns` is `gates·panelWidth·⌈units / panelWidth⌉`.
    package convenience init(gateBlocks b: [Float], rows: Int, units: Int, gates: Int) {
        precondition(b.count == rows * gates * units, "PackedMatrix: \(b.count) values for \(rows) × \(gates)·\(units)")
        let width = Self.panelWidth
        let sources = GateBlocks.blockColumns(units: units, gates: gates, block: width)
        let storage = b.withUnsafeBufferPointer { Self.pack($0.baseAddress, rows: rows, rowLength: gates * units, panels: sources) }
        self.init(rows: rows, columns: sources.count * width, storage: storage)
    }

    /// Packs the row-major `rows × columns` matrix that `readRows(first ..< end, buffer)` writes a
    /// block of rows of into `buffer` at a time (a large weight read from its file block by block, so
    /// that it is never held whole beside its packed copy).
    package convenience init(rows: Int, columns: Int,
                             readingRows readRows: (Range<Int>, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        let panels = Self.panelColumns(columns)
        let storage = Self.allocate(panels: panels.count, rows: rows)
        do {
            let block = max(1, min(rows, Self.readBlock / max(columns, 1)))
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, block * columns))
            defer { buffer.deallocate() }
            for first in stride(from: 0, to: rows, by: block) {
                let end = min(first + block, rows)
                try readRows(first..<end, buffer)
                Self.pack(buffer, rows: first..<end, of: rows, rowLength: columns, panels: panels, into: storage)
            }
        } catch {
            storage.deallocate()
            throw error
        }
        self.init(rows: rows, columns: columns, storage: storage)
    }

    /// Floats of rows read per block by `init(rows:columns:readingRows:)`: 256 KB, in L2 while packed.
    private static let readBlock = 1 << 16

    /// The columns of each panel of a plain `columns`-wide matrix: 16 at a time, the last ones padded.
    private static func panelColumns(_ columns: Int) -> [Range<Int>] {
        stride(from: 0, to: columns, by: panelWidth).map { $0..<min($0 + panelWidth, columns) }
    }

    /// New storage holding, for each row of the row-major matrix at `b` (rows `rowLength` apart; `nil`
    /// when empty), panel `q` filled from the columns `panels[q]` (at most `panelWidth`, zero-padded).
    private static func pack(_ b: UnsafePointer<Float>?, rows: Int, rowLength: Int, panels sources: [Range<Int>]) -> UnsafeMutableRawPointer {
        let storage = allocate(panels: sources.count, rows: rows)
        if let b { pack(b, rows: 0..<rows, of: rows, rowLength: rowLength, panels: sources, into: storage) }
        return storage
    }

    /// Storage for `panels` panels of `rows` rows (one zero float when empty: never empty underneath).
    private static func allocate(panels: Int, rows: Int) -> UnsafeMutableRawPointer {
        let count = max(1, panels * rows * panelWidth)
        let storage = allocate(byteCount: count * MemoryLayout<Float>.stride)
        let floats = storage.bindMemory(to: Float.self, capacity: count)
        if panels * rows == 0 { floats.initialize(to: 0) }
        return storage
    }

    /// Packs the rows `rows` of a matrix of `total` rows into `storage`, from `b` holding those rows
    /// (`rowLength` apart), panel `q` from the columns `panels[q]` (at most `panelWidth`, zero-padded).
    private static func pack(_ b: UnsafePointer<Float>, rows: Range<Int>, of total: Int, rowLength: Int,
                             panels sources: [Range<Int>], into storage: UnsafeMutableRawPointer) {
        let width = panelWidth
        let floats = storage.assumingMemoryBound(to: Float.self)
        // Row by row, so that `b` is read in order; full panel rows copied as one SIMD value, not
        // one `memmove` call each; every value written once: the matrix, then only the padding's
        // zeros. (Panel by panel, with `memmove` and after zeroing all of the storage, packing
        // A's 11776 × 112 LSTM kernel took ~1 ms more.)
        for p in rows {
            let source = b + (p - rows.lowerBound) * rowLength
            for (q, columns) in sources.enumerated() {
                let row = floats + (q * total + p) * width
                if columns.count == width {
                    let value = UnsafeRawPointer(source + columns.lowerBound).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(row).storeBytes(of: value, as: SIMD16<Float>.self)
                } else {
                    row.initialize(from: source + columns.lowerBound, count: columns.count)
                    (row + columns.count).initialize(repeating: 0, count: width - columns.count)
                }
            }
        }
    }

    /// `byteCount` bytes, 64-byte aligned, their pages mapped in bulk when large (``Prefault``).
    private static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        Prefault.pages(of: UnsafeMutableRawBufferPointer(start: storage, count: byteCount))
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
