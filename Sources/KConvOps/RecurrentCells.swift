import CKernels

/// The cell a recurrence computes at each step, on rows of pre-activations `z`.
///
/// Each step function works on `rows` rows (samples, or samples × positions): `z (rows, gates·u)`
/// holds the input projection (plus what the caller added) and is overwritten; `state` holds the
/// state blocks `(rows, u)` one after the other, and the new ones are written to `next`. With
/// `a` = activation and `ra` = recurrent activation:
/// ```
/// LSTM (gates i, f, c, o; states h, c):  c' = ra(z_f)*c + ra(z_i)*a(z_c);  h' = ra(z_o)*a(c')
/// GRU (gates z, r, h; state h):          h' = ra(z_z)*h + (1 - ra(z_z))*a(z_h), with the reset gate
///                                        applied before or after the recurrent product of the h gate
/// simple (one gate; state h):            h' = a(z)
/// ```
package enum RecurrentCell: Sendable, Equatable {
    /// Gates i, f, c, o; states `[h, c]`.
    case lstm
    /// Gates z (update), r (reset), h (candidate); state `[h]`. `resetAfter`: `r` multiplies the
    /// candidate's recurrent product `h·U_h + b_h`; else it multiplies `h` before that product.
    case gru(resetAfter: Bool)
    /// One block; state `[h]`.
    case simple

    package var gates: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 3
        case .simple: return 1
        }
    }

    package var stateCount: Int { self == .lstm ? 2 : 1 }

    /// The LSTM step. `z (rows, 4u)` holds `x·W + b + h·U` in gate order i, f, c, o; `state` is
    /// `[h (rows, u), c (rows, u)]`.
    package static func lstmStep(z: UnsafeMutablePointer<Float>, rows: Int, units u: Int,
                                 state: UnsafePointer<Float>, next: UnsafeMutablePointer<Float>,
                                 a: Activation, ra: Activation) {
        let g = 4 * u, n = rows * u
        if Activation.avx2, let code = a.lstmCellCode, let recurrentCode = ra.lstmCellCode {
            // The same operations in one pass over each row, eight columns at a time.
            kconv_lstm_cell_avx2(z, rows, u, state + n, next, next + n, code, recurrentCode)
            return
        }
        for b in 0..<rows {
            let row = z + b * g
            // Row layout [i f c o]: i and f are contiguous.
            ra.apply(UnsafeMutableBufferPointer(start: row, count: 2 * u), rowLength: u)
            a.apply(UnsafeMutableBufferPointer(start: row + 2 * u, count: u), rowLength: u)
            ra.apply(UnsafeMutableBufferPointer(start: row + 3 * u, count: u), rowLength: u)
            let c = state + n + b * u
            let hNew = next + b * u, cNew = next + n + b * u
            for j in 0..<u {
                let value = row[u + j] * c[j] + row[j] * row[2 * u + j]
                cNew[j] = value
                hNew[j] = value
            }
            a.apply(UnsafeMutableBufferPointer(start: hNew, count: u), rowLength: u)
            for j in 0..<u { hNew[j] *= row[3 * u + j] }
        }
    }

    /// The simple step: `z (rows, u)` holds `x·W + b + h·U`; `h' = a(z)`.
    package static func simpleStep(z: UnsafeMutablePointer<Float>, rows: Int, units u: Int,
                                   next: UnsafeMutablePointer<Float>, a: Activation) {
        a.apply(UnsafeMutableBufferPointer(start: z, count: rows * u), rowLength: u)
        next.update(from: z, count: rows * u)
    }

    /// The GRU step with the reset gate after the recurrent product: `z (rows, 3u)` = `x·W + b_in`,
    /// `rec (rows, 3u)` = `h·U + b_rec`.
    package static func gruResetAfterStep(z: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>, rows: Int,
                                          units u: Int, state: UnsafePointer<Float>, next: UnsafeMutablePointer<Float>,
                                          a: Activation, ra: Activation) {
        let g = 3 * u
        for b in 0..<rows {
            let row = z + b * g, r = rec + b * g
            for j in 0..<2 * u { row[j] += r[j] }
            ra.apply(UnsafeMutableBufferPointer(start: row, count: 2 * u), rowLength: u)
            for j in 0..<u { row[2 * u + j] += row[u + j] * r[2 * u + j] }
            gruOutput(row: row, h: state + b * u, hNew: next + b * u, units: u, a: a)
        }
    }

    /// The GRU step with the reset gate before the recurrent product: `z (rows, 3u)` = `x·W + b`;
    /// `recurrentZR (u, 2u)` and `recurrentH (u, u)` are the recurrent kernel's z/r and h columns;
    /// `rec (rows, ≥2u)` and `rh (rows, u)` are scratch. `hIsZero` skips the products of a zero `h`.
    package static func gruResetBeforeStep(z: UnsafeMutablePointer<Float>, rec: UnsafeMutablePointer<Float>,
                                           rh: UnsafeMutablePointer<Float>, rows: Int, units u: Int, hIsZero: Bool,
                                           recurrentZR: PackedMatrix, recurrentH: PackedMatrix,
                                           state: UnsafePointer<Float>, next: UnsafeMutablePointer<Float>,
                                           a: Activation, ra: Activation) {
        let g = 3 * u
        if !hIsZero {
            // z and r: x·W + b + h·U_zr (rows of 3u, first 2u columns).
            GEMM.multiply(state, recurrentZR, rec, m: rows)
            for b in 0..<rows {
                let row = z + b * g, r = rec + b * 2 * u
                for j in 0..<2 * u { row[j] += r[j] }
            }
        }
        for b in 0..<rows {
            let row = z + b * g
            ra.apply(UnsafeMutableBufferPointer(start: row, count: 2 * u), rowLength: u)
            let h = state + b * u
            for j in 0..<u { rh[b * u + j] = row[u + j] * h[j] }
        }
        if !hIsZero {
            // hh: x·W_h + b_h + (r*h)·U_h.
            GEMM.multiply(UnsafePointer(rh), recurrentH, rec, m: rows)
            for b in 0..<rows {
                let row = z + b * g
                for j in 0..<u { row[2 * u + j] += rec[b * u + j] }
            }
        }
        for b in 0..<rows {
            gruOutput(row: z + b * g, h: state + b * u, hNew: next + b * u, units: u, a: a)
        }
    }

    /// One GRU row's output once its z gate is activated and its candidate pre-activation `hh` is
    /// complete: `h' = z*h + (1 - z)*a(hh)`.
    private static func gruOutput(row: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>,
                                  hNew: UnsafeMutablePointer<Float>, units u: Int, a: Activation) {
        a.apply(UnsafeMutableBufferPointer(start: row + 2 * u, count: u), rowLength: u)
        for j in 0..<u {
            let zg = row[j]
            hNew[j] = zg * h[j] + (1 - zg) * row[2 * u + j]
        }
    }
}

extension Activation {
    /// The `KCONV_ACTIVATION_` code of this activation when `kconv_lstm_cell_avx2` computes it.
    var lstmCellCode: Int32? {
        switch self {
        case .linear: return Int32(KCONV_ACTIVATION_LINEAR)
        case .tanh: return Int32(KCONV_ACTIVATION_TANH)
        case .sigmoid: return Int32(KCONV_ACTIVATION_SIGMOID)
        case .relu(nil, 0, 0): return Int32(KCONV_ACTIVATION_RELU)
        default: return nil
        }
    }
}
