import Testing
@testable import KerasRuntime

private func merge(_ className: String, _ config: String = "{}", inputShapes: [Shape], version: String = "2.15.0") throws -> any Layer {
    try makeLayer(className, try JSON(parsing: config).objectValue ?? [:], inputShapes: inputShapes, version: version)
}

@Suite("Merge layers")
struct MergeTests {
    let a = Tensor(uncheckedShape: [1, 2, 2], scalars: [1, 2, 3, 4])
    let b = Tensor(uncheckedShape: [1, 2, 2], scalars: [10, 20, 30, 40])

    @Test("Concatenate along axis 1 and along the last axis")
    func concatenateAxes() throws {
        let c = Tensor(uncheckedShape: [1, 1, 2], scalars: [7, 8])
        let axis1 = try merge("Concatenate", #"{"axis": 1}"#, inputShapes: [[nil, 2, 2], [nil, 1, 2]])
        #expect(try axis1.outputShapes(for: [[nil, 2, 2], [nil, 1, 2]]) == [[nil, 3, 2]])
        expectWindowClose(try axis1.call([a, c])[0], shape: [1, 3, 2], [1, 2, 3, 4, 7, 8])
        let last = try merge("Concatenate", inputShapes: [[nil, 2, 2], [nil, 2, 2]])
        expectWindowClose(try last.call([a, b])[0], shape: [1, 2, 4], [1, 2, 10, 20, 3, 4, 30, 40])
        let negative = try merge("Concatenate", #"{"axis": -2}"#, inputShapes: [[nil, 2, 2], [nil, 1, 2]])
        expectWindowClose(try negative.call([a, c])[0], shape: [1, 3, 2], [1, 2, 3, 4, 7, 8])
        #expect(throws: KerasError.self) { try last.outputShapes(for: [[nil, 2, 2], [nil, 3, 2]]) }
    }

    @Test("Add, Subtract, Multiply, Average, Maximum, Minimum combine left to right")
    func elementwise() throws {
        let shapes: [Shape] = [[nil, 2, 2], [nil, 2, 2]]
        expectWindowClose(try merge("Add", inputShapes: shapes).call([a, b])[0], shape: [1, 2, 2], [11, 22, 33, 44])
        expectWindowClose(try merge("Subtract", inputShapes: shapes).call([a, b])[0], shape: [1, 2, 2], [-9, -18, -27, -36])
        expectWindowClose(try merge("Multiply", inputShapes: shapes).call([a, b])[0], shape: [1, 2, 2], [10, 40, 90, 160])
        let three: [Shape] = shapes + [[nil, 2, 2]]
        expectWindowClose(try merge("Average", inputShapes: three).call([a, b, a])[0], shape: [1, 2, 2], [4, 8, 12, 16])
        let m = Tensor(uncheckedShape: [1, 2, 2], scalars: [5, 0, 5, 0])
        expectWindowClose(try merge("Maximum", inputShapes: shapes).call([a, m])[0], shape: [1, 2, 2], [5, 2, 5, 4])
        expectWindowClose(try merge("Minimum", inputShapes: three).call([a, m, b])[0], shape: [1, 2, 2], [1, 0, 3, 0])
        #expect(throws: KerasError.self) { try merge("Subtract", inputShapes: three) }
    }

    @Test("a lower-rank input gets axes inserted after the batch; size-1 axes stretch")
    func broadcasting() throws {
        let v = Tensor(uncheckedShape: [1, 2], scalars: [100, 200])
        let add = try merge("Add", inputShapes: [[nil, 2, 2], [nil, 2]])
        #expect(try add.outputShapes(for: [[nil, 2, 2], [nil, 2]]) == [[nil, 2, 2]])
        // (1, 2) is read as (1, 1, 2): added to each row.
        expectWindowClose(try add.call([a, v])[0], shape: [1, 2, 2], [101, 202, 103, 204])
        let col = Tensor(uncheckedShape: [1, 2, 1], scalars: [2, 3])
        let mul = try merge("Multiply", inputShapes: [[nil, 2, 2], [nil, 2, 1]])
        expectWindowClose(try mul.call([a, col])[0], shape: [1, 2, 2], [2, 4, 9, 12])
        #expect(throws: KerasError.self) { try add.outputShapes(for: [[nil, 2, 2], [nil, 3]]) }
    }

    @Test("Dot over axes (1, 1), axes 2, normalize, and rank-2 inputs giving (batch, 1)")
    func dot() throws {
        // a = [[1, 2], [3, 4]], b = [[10, 20], [30, 40]] per sample.
        let d11 = try merge("Dot", #"{"axes": [1, 1]}"#, inputShapes: [[nil, 2, 2], [nil, 2, 2]])
        // Σ_i a[i, j]·b[i, k]: aᵀb = [[1·10 + 3·30, 1·20 + 3·40], [2·10 + 4·30, 2·20 + 4·40]].
        expectWindowClose(try d11.call([a, b])[0], shape: [1, 2, 2], [100, 140, 140, 200])
        let d2 = try merge("Dot", #"{"axes": 2}"#, inputShapes: [[nil, 2, 2], [nil, 2, 2]])
        // a·bᵀ = [[1·10 + 2·20, 1·30 + 2·40], [3·10 + 4·20, 3·30 + 4·40]].
        expectWindowClose(try d2.call([a, b])[0], shape: [1, 2, 2], [50, 110, 110, 250])
        let u = Tensor(uncheckedShape: [1, 2], scalars: [3, 4]), w = Tensor(uncheckedShape: [1, 2], scalars: [4, 3])
        let cosine = try merge("Dot", #"{"axes": 1, "normalize": true}"#, inputShapes: [[nil, 2], [nil, 2]])
        #expect(try cosine.outputShapes(for: [[nil, 2], [nil, 2]]) == [[nil, 1]])
        expectWindowClose(try cosine.call([u, w])[0], shape: [1, 1], [24.0 / 25])
        let mixed = try merge("Dot", #"{"axes": [2, 1]}"#, inputShapes: [[nil, 2, 2], [nil, 2, 3]])
        #expect(try mixed.outputShapes(for: [[nil, 2, 2], [nil, 2, 3]]) == [[nil, 2, 3]])
        #expect(throws: KerasError.self) { try mixed.outputShapes(for: [[nil, 2, 2], [nil, 3, 3]]) }
    }

    @Test("masks: Keras 2 ANDs the masks present; Keras 3 ORs them (elementwise merges: only when all are present)")
    func masks() throws {
        let m1 = Tensor(uncheckedShape: [1, 2], scalars: [1, 0]), m2 = Tensor(uncheckedShape: [1, 2], scalars: [0, 0])
        let shapes: [Shape] = [[nil, 2, 2], [nil, 2, 2]]
        #expect(try merge("Add", inputShapes: shapes).call([a, b], masks: [m1, nil]).masks[0] == m1)
        #expect(try merge("Add", inputShapes: shapes).call([a, b], masks: [m1, m2]).masks[0] == m2)
        #expect(try merge("Add", inputShapes: shapes).call([a, b], masks: [nil, nil]).masks[0] == nil)
        let add3 = try merge("Add", inputShapes: shapes, version: "3.15.1")
        #expect(try add3.call([a, b], masks: [m1, nil]).masks[0] == nil)
        #expect(try add3.call([a, b], masks: [m1, m2]).masks[0]?.scalars == [1, 0])
        let k2 = try merge("Concatenate", inputShapes: shapes)
        #expect(try k2.call([a, b], masks: [m1, nil]).masks[0] == m1)
        let k3 = try merge("Concatenate", inputShapes: shapes, version: "3.3.0")
        #expect(try k3.call([a, b], masks: [m1, nil]).masks[0]?.scalars == [1, 1])
        #expect(try k3.call([a, b], masks: [m1, m2]).masks[0]?.scalars == [1, 0])
        let time = try merge("Concatenate", #"{"axis": 1}"#, inputShapes: shapes)
        #expect(try time.call([a, b], masks: [m1, nil]).masks[0]?.scalars == [1, 0, 1, 1])
        #expect(try merge("Dot", #"{"axes": 2}"#, inputShapes: shapes).call([a, b], masks: [m1, m1]).masks[0] == nil)
    }
}
