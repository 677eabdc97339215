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

    /// Zeros in the packed layout of a `rows × columns` matrix.
    private init(rows: Int, columns: Int) {
        let width = Self.panelWidth
        let count = max(1, (columns + width - 1) / width * rows * width)
        (self.rows, self.columns) = (rows, columns)
        storage = .allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        pointer = UnsafePointer(storage.initializeMemory(as: Float.self, repeating: 0, count: count))
    }

    /// Packs the row-major `rows × columns` matrix at `b`.
    package convenience init(_ b: UnsafePointer<Float>, rows: Int, columns: Int) {
        self.init(rows: rows, columns: columns)
        fill(from: b)
    }

    /// Packs the row-major `rows × columns` matrix `b` (`rows·columns` values).
    package convenience init(_ b: [Float], rows: Int, columns: Int) {
        precondition(b.count == rows * columns, "PackedMatrix: \(b.count) values for \(rows) × \(columns)")
        self.init(rows: rows, columns: columns)
        b.withUnsafeBufferPointer { if let base = $0.baseAddress { fill(from: base) } }
    }

    private func fill(from b: UnsafePointer<Float>) {
        let width = Self.panelWidth
        let floats = storage.assumingMemoryBound(to: Float.self)
        for q in 0..<panels {
            let used = min(width, columns - q * width)
            for p in 0..<rows {
                (floats + (q * rows + p) * width).update(from: b + p * columns + q * width, count: used)
            }
        }
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
