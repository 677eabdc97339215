import Testing
import KConvOps

/// `GateBlocks` (weight re-layouts) and `Sequences` (time reversal, merges), on matrices written out.
struct SequenceAndGateLayoutTests {
    /// (3, 2·2) with m[r][c] = 10r + c. Block 0 `G = [[0,1],[10,11],[20,21]]`, flatC(G) =
    /// [0,1,10,11,20,21], `G'[i][j] = flatC(G)[3j + i]` = [[0,11],[1,20],[10,21]]; block 1 the same
    /// from [[2,3],[12,13],[22,23]]: [[2,13],[3,22],[12,23]].
    @Test func transposedReshape() {
        let m: [Float] = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]
        #expect(GateBlocks.transposedReshape(m, rows: 3, width: 2, blocks: 2) == [0, 11, 2, 13, 1, 20, 3, 22, 10, 21, 12, 23])
        // Square blocks are transposed: [[1,2],[3,4]] → [[1,3],[2,4]], [[5,6],[7,8]] → [[5,7],[6,8]].
        #expect(GateBlocks.transposedReshape([1, 2, 5, 6, 3, 4, 7, 8], rows: 2, width: 2, blocks: 2) == [1, 3, 5, 7, 2, 4, 6, 8])
    }

    @Test func columnsAndHalves() {
        // (2, 3) [[1,2,3],[4,5,6]], columns 1 and 2.
        #expect(GateBlocks.columns([1, 2, 3, 4, 5, 6], rows: 2, width: 3, 1..<3) == [2, 3, 5, 6])
        #expect(GateBlocks.sumOfHalves([1, 2, 3, 10, 20, 30]) == [11, 22, 33])
    }

    /// (2 samples, 3 steps, 2 values): each sample's steps in reverse order.
    @Test func reversedInTime() {
        let x: [Float] = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]
        #expect(Sequences.reversed(x, batch: 2, steps: 3, inner: 2) == [4, 5, 2, 3, 0, 1, 14, 15, 12, 13, 10, 11])
        #expect(Sequences.reversed([], batch: 0, steps: 3, inner: 0) == [])
    }

    @Test func merges() {
        #expect(Sequences.joinedRows([1, 2, 3, 4], [5, 6, 7, 8], width: 2) == [1, 2, 5, 6, 3, 4, 7, 8])
        #expect(Sequences.combined([1, 2], [3, 6], .sum) == [4, 8])
        #expect(Sequences.combined([1, 2], [3, 6], .product) == [3, 12])
        #expect(Sequences.combined([1, 2], [3, 6], .mean) == [2, 4])
    }

    /// Rows [0, 0], [0, 1], [2, 0]: only the first has no non-zero value.
    @Test func anyNonZero() {
        #expect(Sequences.anyNonZero([0, 0, 0, 1, 2, 0], rows: 3, width: 2) == [0, 1, 1])
    }
}
