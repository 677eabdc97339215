import Testing
import KConvOps

/// `PackedMatrix`: the layout the GEMM kernels read, written without zeroing the storage first.
@Suite("PackedMatrix layout")
struct PackedMatrixTests {
    /// Every packed value, padding included, where the layout puts it: `b[p][q·16 + j]`, or 0 past
    /// the last column.
    static func expectLayout(_ packed: PackedMatrix, _ b: [Float], rows: Int, columns: Int) {
        let width = PackedMatrix.panelWidth
        var mismatches = 0
        for q in 0..<packed.panels {
            for p in 0..<rows {
                for j in 0..<width {
                    let column = q * width + j
                    let expected: Float = column < columns ? b[p * columns + column] : 0
                    if packed.pointer[(q * rows + p) * width + j].bitPattern != expected.bitPattern { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0, "\(rows) × \(columns): \(mismatches) values out of place")
    }

    @Test("values and zero padding in place, on both initialisers, small and large (prefaulted) sizes")
    func layout() {
        // 11776 × 112 is A's LSTM kernel (5.3 MB); 4096 × 129 is just over 2 MiB with a 1-column panel.
        for (rows, columns) in [(1, 1), (3, 16), (5, 17), (7, 33), (2, 15), (11776, 112), (4096, 129)] {
            let b = GEMMTests.values(rows * columns, seed: rows + 31 * columns)
            Self.expectLayout(PackedMatrix(b, rows: rows, columns: columns), b, rows: rows, columns: columns)
            b.withUnsafeBufferPointer { p in
                if let base = p.baseAddress {
                    Self.expectLayout(PackedMatrix(base, rows: rows, columns: columns), b, rows: rows, columns: columns)
                }
            }
        }
    }

    @Test("packed from blocks of rows read one after another: the same layout; a reading error stops it")
    func packedFromRows() throws {
        // Blocks of 65536 floats: 11776 × 112 in 21 blocks (the last one partial), 4096 × 129 in 9.
        for (rows, columns) in [(1, 1), (5, 17), (11776, 112), (4096, 129), (70000, 1)] {
            let b = GEMMTests.values(rows * columns, seed: rows + 7 * columns)
            var blocks: [Range<Int>] = []
            let packed = PackedMatrix(rows: rows, columns: columns) { range, buffer in
                blocks.append(range)
                b.withUnsafeBufferPointer { values in
                    if let base = values.baseAddress {
                        buffer.update(from: base + range.lowerBound * columns, count: range.count * columns)
                    }
                }
            }
            Self.expectLayout(packed, b, rows: rows, columns: columns)
            // The blocks cover the rows in order, once each.
            #expect(blocks.first?.lowerBound == 0 && blocks.last?.upperBound == rows)
            #expect(zip(blocks, blocks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(blocks.allSatisfy { $0.count * columns <= 1 << 16 || $0.count == 1 })
        }
        struct Unreadable: Error {}
        var calls = 0
        #expect(throws: Unreadable.self) {
            _ = try PackedMatrix(rows: 11776, columns: 112) { range, _ in
                calls += 1
                if range.lowerBound > 0 { throw Unreadable() }
            }
        }
        #expect(calls == 2)
    }

    @Test("an empty matrix still has a valid pointer")
    func empty() {
        for (rows, columns) in [(0, 0), (0, 5), (4, 0)] {
            let packed = PackedMatrix([], rows: rows, columns: columns)
            #expect(packed.pointer[0] == 0)
            #expect(packed.unpacked().isEmpty)
        }
    }
}
