/// A recurrence with fully connected weights, run whole: the input projection of every step as one
/// matrix product, then per step one recurrent product and the cell (`RecurrentCell`), inside the
/// time loop of `Recurrence`.
///
/// Layouts (row-major, `G = gates·u`): `kernel (inputDim, G)`, `recurrentKernel (u, G)`, `bias (G)`,
/// `recurrentBias (G)` (GRU with the reset gate after the product: added to `h·U`; nil means zeros).
/// The kernels are packed once, when the layer is built (`PackedMatrix`); no step allocates.
package struct DenseRecurrence: Sendable {
    package let cell: RecurrentCell
    package let inputDim: Int
    package let units: Int
    package let activation: Activation
    package let recurrentActivation: Activation
    private let kernel: PackedMatrix
    private let bias: [Float]?
    /// `(u, G)`; for GRU with the reset gate before the product only its z and r columns, `(u, 2u)`.
    private let recurrentKernel: PackedMatrix
    /// GRU with the reset gate before the product: the candidate columns of the recurrent kernel, `(u, u)`.
    private let candidateKernel: PackedMatrix
    private let recurrentBias: PinnedFloats?

    package init(cell: RecurrentCell, inputDim: Int, units: Int, activation: Activation, recurrentActivation: Activation,
                 kernel: [Float], recurrentKernel: [Float], bias: [Float]?, recurrentBias: [Float]? = nil) {
        (self.cell, self.inputDim, self.units) = (cell, inputDim, units)
        (self.activation, self.recurrentActivation) = (activation, recurrentActivation)
        let u = units, g = cell.gates * units
        self.kernel = PackedMatrix(kernel, rows: inputDim, columns: g)
        self.bias = bias
        self.recurrentBias = recurrentBias.map(PinnedFloats.init)
        if cell == .gru(resetAfter: false) {
            self.recurrentKernel = PackedMatrix(GateBlocks.columns(recurrentKernel, rows: u, width: 3 * u, 0..<2 * u), rows: u, columns: 2 * u)
            candidateKernel = PackedMatrix(GateBlocks.columns(recurrentKernel, rows: u, width: 3 * u, 2 * u..<3 * u), rows: u, columns: u)
        } else {
            self.recurrentKernel = PackedMatrix(recurrentKernel, rows: u, columns: g)
            candidateKernel = PackedMatrix([], rows: 0, columns: 0)
        }
    }

    /// Runs `recurrence` over `x (batch, steps, inputDim)` from `initialStates` (zeros when nil; then
    /// the first step skips the recurrent products of a zero `h`), with the step `mask` if any.
    package func run(_ x: [Float], recurrence: Recurrence, initialStates: [[Float]]?, mask: [Float]?)
        -> (output: [Float], states: [[Float]])
    {
        let rows = recurrence.batch, u = units, g = cell.gates * units
        // The input projection of every step, step-major. A row's projection does not depend on its
        // position, so the narrower side is reordered: the inputs before the product, or the
        // projections after it (A: 112 columns against 11776 inputs).
        let m = recurrence.steps * rows
        var z = g < inputDim
            ? recurrence.stepMajor(GEMM.multiply(x, kernel, m: m, bias: bias), frame: g)
            : GEMM.multiply(recurrence.stepMajor(x, frame: inputDim), kernel, m: m, bias: bias)
        // Per-step scratch: the recurrent projection (GRU) and r*h (GRU, reset gate before the product).
        let rec = PinnedFloats(zeros: cell == .lstm || cell == .simple ? 0 : rows * g)
        let rh = PinnedFloats(zeros: cell == .gru(resetAfter: false) ? rows * u : 0)
        let startsAtZero = initialStates == nil
        return z.withUnsafeMutableBufferPointer { zp in
            recurrence.run(initialStates: initialStates, mask: mask) { s, state, next in
                guard let zBase = zp.baseAddress else { return }
                step(z: zBase + s * rows * g, rows: rows, hIsZero: startsAtZero && s == 0, state: state, next: next,
                     rec: rec.pointer, rh: rh.pointer)
            }
        }
    }

    /// One step on `rows` rows: `z (rows, G)` holds the input projection; `h` is known to be zero when `hIsZero`.
    private func step(z: UnsafeMutablePointer<Float>, rows: Int, hIsZero: Bool, state: UnsafePointer<Float>,
                      next: UnsafeMutablePointer<Float>, rec: UnsafeMutablePointer<Float>, rh: UnsafeMutablePointer<Float>) {
        let u = units, g = cell.gates * units, a = activation, ra = recurrentActivation
        let recurrent = recurrentKernel
        switch cell {
        case .lstm:
            if !hIsZero { GEMM.multiply(state, recurrent, z, m: rows, accumulate: true) }
            RecurrentCell.lstmStep(z: z, rows: rows, units: u, state: state, next: next, a: a, ra: ra)
        case .simple:
            if !hIsZero { GEMM.multiply(state, recurrent, z, m: rows, accumulate: true) }
            RecurrentCell.simpleStep(z: z, rows: rows, units: u, next: next, a: a)
        case .gru(resetAfter: true):
            let rb = recurrentBias.map { UnsafePointer($0.pointer) }
            if hIsZero {
                for b in 0..<rows {
                    if let rb { (rec + b * g).update(from: rb, count: g) } else { (rec + b * g).update(repeating: 0, count: g) }
                }
            } else {
                GEMM.multiply(state, recurrent, rec, m: rows, bias: rb)
            }
            RecurrentCell.gruResetAfterStep(z: z, rec: rec, rows: rows, units: u, state: state, next: next, a: a, ra: ra)
        case .gru(resetAfter: false):
            RecurrentCell.gruResetBeforeStep(z: z, rec: rec, rh: rh, rows: rows, units: u, hIsZero: hIsZero,
                                             recurrentZR: recurrent, recurrentH: candidateKernel,
                                             state: state, next: next, a: a, ra: ra)
        }
    }
}
