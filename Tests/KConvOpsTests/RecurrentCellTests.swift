import Foundation
import Testing
import KConvOps

/// The cell steps of `RecurrentCell` on one or two rows, against the formulas written out.
struct RecurrentCellTests {
    /// Runs `body` on pointers to copies of `z`, `state` and `next` (sized `next`), returning `(z, next)`.
    static func step(z: [Float], state: [Float], next: Int,
                     _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void)
        -> (z: [Float], next: [Float])
    {
        let zp = PinnedFloats(z), sp = PinnedFloats(state), np = PinnedFloats(zeros: next)
        body(zp.pointer, sp.pointer, np.pointer)
        return (zp.array(), np.array())
    }

    /// 2 rows, 1 unit, linear activations; z rows `[i, f, c~, o]`, states `[h0, h1, c0, c1]`:
    /// row 0: c = f·c + i·c~ = 2·4 + 0.5·3 = 9.5, h = o·c = −9.5;
    /// row 1: c = 0·1 + 1·5 = 5, h = 2·5 = 10. `next` = `[h0, h1, c0, c1]`.
    @Test func lstmStepByHand() {
        let r = Self.step(z: [0.5, 2, 3, -1, 1, 0, 5, 2], state: [9, 9, 4, 1], next: 4) { z, state, next in
            RecurrentCell.lstmStep(z: z, rows: 2, units: 1, state: state, next: next, a: .linear, ra: .linear)
        }
        #expect(r.next == [-9.5, 10, 9.5, 5])
    }

    /// The LSTM step (one pass per row in CKernels' AVX2 cell where the CPU has it, else Swift)
    /// against the cell written out with the scalar activations, bit for bit, for widths with and
    /// without a partial block of eight and every activation pair the fused cell takes.
    @Test(arguments: [1, 6, 8, 12, 13, 28, 64])
    func lstmStepMatchesScalarCellBitForBit(units u: Int) {
        let rows = 3, relu = Activation.plainReLU
        let scalar: [(Activation, (Float) -> Float)] = [
            (.tanh, Activation.tanh), (.sigmoid, Activation.sigmoid), (relu, { $0 <= 0 ? 0 : $0 }), (.linear, { $0 }),
        ]
        var seed: UInt64 = 12345
        func value() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed) >> 40) / Float(1 << 21)   // about [-4, 4)
        }
        let z = (0..<rows * 4 * u).map { _ in value() }, state = (0..<2 * rows * u).map { _ in value() }
        for (a, fa) in scalar {
            for (ra, fra) in scalar {
                let r = Self.step(z: z, state: state, next: 2 * rows * u) { zp, sp, np in
                    RecurrentCell.lstmStep(z: zp, rows: rows, units: u, state: sp, next: np, a: a, ra: ra)
                }
                var want = [Float](repeating: 0, count: 2 * rows * u)
                for b in 0..<rows {
                    for j in 0..<u {
                        let row = b * 4 * u
                        let cell = fra(z[row + u + j]) * state[rows * u + b * u + j] + fra(z[row + j]) * fa(z[row + 2 * u + j])
                        want[rows * u + b * u + j] = cell
                        want[b * u + j] = fa(cell) * fra(z[row + 3 * u + j])
                    }
                }
                #expect(r.next.map(\.bitPattern) == want.map(\.bitPattern), "units \(u), a \(a), ra \(ra)")
            }
        }
    }

    /// One LSTM step for 1 unit with sigmoid and tanh, against the formula in Double:
    /// `c' = σ(z_f)·c + σ(z_i)·tanh(z_c)`, `h' = σ(z_o)·tanh(c')`.
    @Test func lstmStepMatchesTheFormula() {
        let z: [Float] = [0.3, -0.2, 0.7, 1.1], c: Float = 0.4
        let r = Self.step(z: z, state: [0, c], next: 2) { zp, state, next in
            RecurrentCell.lstmStep(z: zp, rows: 1, units: 1, state: state, next: next, a: .tanh, ra: .sigmoid)
        }
        func sigmoid(_ x: Float) -> Double { 1 / (1 + exp(-Double(x))) }
        let cNew = sigmoid(z[1]) * Double(c) + sigmoid(z[0]) * tanh(Double(z[2]))
        let hNew = sigmoid(z[3]) * tanh(cNew)
        #expect(abs(Double(r.next[1]) - cNew) < 1e-6)
        #expect(abs(Double(r.next[0]) - hNew) < 1e-6)
    }

    /// Reset gate after the product, 1 unit, linear; `z = x·W + b_in = [0.25, 1, 1]`,
    /// `rec = h·U + b_rec = [0.25, 1, 3]`, h = 4: update 0.25 + 0.25 = 0.5, reset 1 + 1 = 2,
    /// candidate 1 + 2·3 = 7, h' = 0.5·4 + 0.5·7 = 5.5.
    @Test func gruResetAfterStepByHand() {
        let rec = PinnedFloats([0.25, 1, 3])
        let r = Self.step(z: [0.25, 1, 1], state: [4], next: 1) { z, state, next in
            RecurrentCell.gruResetAfterStep(z: z, rec: rec.pointer, rows: 1, units: 1, state: state, next: next,
                                            a: .linear, ra: .linear)
        }
        #expect(r.next == [5.5])
    }

    /// Reset gate before the product with a zero `h` (`hIsZero`): the recurrent products are skipped
    /// (the kernels below would change everything), update 0.5, candidate 3, h' = 0.5·0 + 0.5·3 = 1.5.
    @Test func gruResetBeforeStepSkipsAZeroState() {
        let zr = PackedMatrix([100, 100], rows: 1, columns: 2), h = PackedMatrix([100], rows: 1, columns: 1)
        let rec = PinnedFloats(zeros: 2), rh = PinnedFloats(zeros: 1)
        let r = Self.step(z: [0.5, 1, 3], state: [0], next: 1) { z, state, next in
            RecurrentCell.gruResetBeforeStep(z: z, rec: rec.pointer, rh: rh.pointer, rows: 1, units: 1, hIsZero: true,
                                             recurrentZR: zr, recurrentH: h, state: state, next: next,
                                             a: .linear, ra: .linear)
        }
        #expect(r.next == [1.5])
    }

    /// The simple step applies the activation to `z` in place and copies it to `next`: relu([-1, 2]) = [0, 2].
    @Test func simpleStep() {
        let r = Self.step(z: [-1, 2], state: [], next: 2) { z, _, next in
            RecurrentCell.simpleStep(z: z, rows: 1, units: 2, next: next, a: .plainReLU)
        }
        #expect(r.next == [0, 2])
        #expect(r.z == [0, 2])
    }

    @Test func gatesAndStates() {
        #expect(RecurrentCell.lstm.gates == 4 && RecurrentCell.lstm.stateCount == 2)
        #expect(RecurrentCell.gru(resetAfter: true).gates == 3 && RecurrentCell.gru(resetAfter: false).stateCount == 1)
        #expect(RecurrentCell.simple.gates == 1 && RecurrentCell.simple.stateCount == 1)
    }
}
