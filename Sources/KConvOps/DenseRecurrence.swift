import CKernels

/// A recurrence with fully connected weights, run whole: the input projection of every step as one
/// matrix product, then per step one recurrent product and the cell (`RecurrentCell`), inside the
/// time loop of `Recurrence`. On the fused paths (AVX-512, AVX2, NEON) the LSTM step is one pass
/// (`kconv_lstm_step`: each register tile of the recurrent product goes through the cell while it is
/// in L1).
///
/// Layouts (row-major, `G = gates·u`): `kernel (inputDim, G)`, `recurrentKernel (u, G)`, `bias (G)`,
/// `recurrentBias (G)` (GRU with the reset gate after the product: added to `h·U`; nil means zeros).
/// The kernels are packed once, when the layer is built (`PackedMatrix`); no step allocates.
///
/// Samples never interact, so a large batch is split into parts that run the whole recurrence on
/// their own thread: no synchronisation per step, and every row's operations stay the same.
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
    /// The fused LSTM step, when it runs: then `recurrentKernel` and the step-major rows of the input
    /// projection are in its gate-block layout (`GateBlocks.interleaved`), and so are `kernel` and
    /// `bias` unless the projection is re-laid out after the product (`projectionWidth < inputDim`).
    private let fusedStep: FusedLSTMStep?
    /// Columns of the input projection `z`: `G`, or the gate-block layout's padded width.
    private let projectionWidth: Int
    /// Whether `kernel` is packed from Keras' `(inputDim, G)` layout without reordering its columns:
    /// everywhere but the fused step's gate-block layout.
    package var holdsKernelInKerasLayout: Bool { fusedStep == nil || projectionWidth < inputDim }

    /// `holdsKernelInKerasLayout` of the recurrence these arguments of `init` would build, known before
    /// its kernel is read.
    package static func holdsKernelInKerasLayout(cell: RecurrentCell, inputDim: Int, units: Int, activation: Activation,
                                                 recurrentActivation: Activation, stepPath: GEMM.Path = GEMM.path) -> Bool {
        cell != .lstm || FusedLSTMStep(path: stepPath, activation: activation, recurrentActivation: recurrentActivation) == nil
            || gateBlockWidth(units: units) < inputDim
    }

    /// Columns of the fused step's gate-block layout: four panels per block of `panelWidth` units.
    private static func gateBlockWidth(units: Int) -> Int {
        4 * PackedMatrix.panelWidth * ((units + PackedMatrix.panelWidth - 1) / PackedMatrix.panelWidth)
    }

    /// The least estimated time, in ns, for a part of the batch to be worth a thread of its own.
    /// Measured with `kconv bench --threads 1|2` on the seed models at batches 2–64 (Xeon, 2 cores):
    /// a split gained from about 50 µs of recurrence on (D at batch 16: 1.4×; C at batch 8 and D at
    /// batch 8, about 40 µs, gained nothing).
    static let nanosecondsPerPart = 25_000

    /// A rough time of the recurrence over `rows` samples in ns: the products at about 40 multiply-adds
    /// per ns, the cell and the loop at about 60 ns per sample and step, 200 ns per step.
    private func estimatedNanoseconds(rows: Int, steps: Int) -> Int {
        steps * (rows * ((inputDim + units) * projectionWidth / 40 + 60) + 200)
    }

    /// `stepPath` chooses the kernels of the LSTM step (tests compare them); products use `GEMM.path`.
    package init(cell: RecurrentCell, inputDim: Int, units: Int, activation: Activation, recurrentActivation: Activation,
                 kernel: [Float], recurrentKernel: [Float], bias: [Float]?, recurrentBias: [Float]? = nil,
                 stepPath: GEMM.Path = GEMM.path) {
        self.init(cell: cell, inputDim: inputDim, units: units, activation: activation, recurrentActivation: recurrentActivation,
                  packingKernel: { $0.pack(kernel) }, recurrentKernel: recurrentKernel, bias: bias, recurrentBias: recurrentBias,
                  stepPath: stepPath)
    }

    /// `init(kernel:...)` with the input kernel `(inputDim, G)` given as a reader of blocks of its rows
    /// (`readRows(rows, buffer)`: a large weight read from its file block by block), packed block by
    /// block and never held whole. Only for a recurrence that holds its kernel in Keras' layout
    /// (`holdsKernelInKerasLayout(cell:...)`).
    package init(cell: RecurrentCell, inputDim: Int, units: Int, activation: Activation, recurrentActivation: Activation,
                 kernelRows readRows: (Range<Int>, UnsafeMutablePointer<Float>) throws -> Void, recurrentKernel: [Float],
                 bias: [Float]?, recurrentBias: [Float]? = nil, stepPath: GEMM.Path = GEMM.path) throws {
        try self.init(cell: cell, inputDim: inputDim, units: units, activation: activation,
                      recurrentActivation: recurrentActivation, packingKernel: { try $0.pack(readingRows: readRows) },
                      recurrentKernel: recurrentKernel, bias: bias, recurrentBias: recurrentBias, stepPath: stepPath)
    }

    /// How the input kernel is packed: as Keras lays it out, or in the fused step's gate blocks.
    private struct KernelLayout {
        let rows: Int, units: Int, gates: Int, inGateBlocks: Bool

        func pack(_ kernel: [Float]) -> PackedMatrix {
            inGateBlocks ? PackedMatrix(gateBlocks: kernel, rows: rows, units: units, gates: gates)
                : PackedMatrix(kernel, rows: rows, columns: gates * units)
        }

        func pack(readingRows readRows: (Range<Int>, UnsafeMutablePointer<Float>) throws -> Void) throws -> PackedMatrix {
            precondition(!inGateBlocks, "DenseRecurrence: a kernel read by rows is packed in Keras' layout only")
            return try PackedMatrix(rows: rows, columns: gates * units, readingRows: readRows)
        }
    }

    private init(cell: RecurrentCell, inputDim: Int, units: Int, activation: Activation, recurrentActivation: Activation,
                 packingKernel pack: (KernelLayout) throws -> PackedMatrix, recurrentKernel: [Float], bias: [Float]?,
                 recurrentBias: [Float]?, stepPath: GEMM.Path) rethrows {
        (self.cell, self.inputDim, self.units) = (cell, inputDim, units)
        (self.activation, self.recurrentActivation) = (activation, recurrentActivation)
        let u = units, g = cell.gates * units
        self.recurrentBias = recurrentBias.map(PinnedFloats.init)
        fusedStep = cell == .lstm ? FusedLSTMStep(path: stepPath, activation: activation, recurrentActivation: recurrentActivation) : nil
        if fusedStep != nil {
            // The fused step's blocks of units are the packed panels.
            precondition(Int(KCONV_LSTM_GATE_BLOCK) == PackedMatrix.panelWidth)
            self.recurrentKernel = PackedMatrix(gateBlocks: recurrentKernel, rows: u, units: u, gates: 4)
            projectionWidth = Self.gateBlockWidth(units: u)
            // Projected in Keras' layout, then re-laid out (a pass over the small projection), when the
            // projection is narrower than the inputs: the padding would make the large kernel longer to
            // read (A: 128 columns instead of 112).
            let inGateBlocks = projectionWidth >= inputDim
            self.kernel = try pack(KernelLayout(rows: inputDim, units: u, gates: 4, inGateBlocks: inGateBlocks))
            self.bias = inGateBlocks ? bias.map { GateBlocks.interleaved($0, rows: 1, units: u, gates: 4, block: PackedMatrix.panelWidth) } : bias
            candidateKernel = PackedMatrix([], rows: 0, columns: 0)
            return
        }
        projectionWidth = g
        self.kernel = try pack(KernelLayout(rows: inputDim, units: u, gates: cell.gates, inGateBlocks: false))
        self.bias = bias
        if cell == .gru(resetAfter: false) {
            self.recurrentKernel = PackedMatrix(GateBlocks.columns(recurrentKernel, rows: u, width: 3 * u, 0..<2 * u), rows: u, columns: 2 * u)
            candidateKernel = PackedMatrix(GateBlocks.columns(recurrentKernel, rows: u, width: 3 * u, 2 * u..<3 * u), rows: u, columns: u)
        } else {
            self.recurrentKernel = PackedMatrix(recurrentKernel, rows: u, columns: g)
            candidateKernel = PackedMatrix([], rows: 0, columns: 0)
        }
    }

    /// The input kernel `(inputDim, G)` in Keras' layout, unpacked (when `holdsKernelInKerasLayout`).
    package func kernelInKerasLayout() -> [Float] {
        precondition(holdsKernelInKerasLayout, "DenseRecurrence: the input kernel is held in the gate-block layout")
        return kernel.unpacked()
    }

    /// Runs `recurrence` over `x (batch, steps, inputDim)` from `initialStates` (zeros when nil; then
    /// the first step skips the recurrent products of a zero `h`), with the step `mask` if any.
    package func run(_ x: [Float], recurrence: Recurrence, initialStates: [[Float]]?, mask: [Float]?)
        -> (output: [Float], states: [[Float]])
    {
        let batch = recurrence.batch, steps = recurrence.steps
        let parts = max(1, min(ThreadBudget.threads, batch, estimatedNanoseconds(rows: batch, steps: steps) / Self.nanosecondsPerPart))
        guard parts > 1 else {
            return x.withUnsafeBufferPointer { runOnThisThread($0, recurrence: recurrence, initialStates: initialStates, mask: mask) }
        }
        // Part t runs samples share(t) alone, one thread each, and copies its results into place.
        let w = recurrence.stateWidth, outputWidth = recurrence.returnsSequence ? steps * w : w
        let output = PinnedFloats(zeros: batch * outputWidth)
        let states = (0..<recurrence.stateCount).map { _ in PinnedFloats(zeros: batch * w) }
        x.withUnsafeBufferPointer { xp in
            let input = Input(values: xp)
            Parallel.run(parts: parts, threads: parts) { t in
                let samples = batch * t / parts..<batch * (t + 1) / parts
                func slice(_ values: [Float], width: Int) -> [Float] {
                    Array(values[samples.lowerBound * width..<samples.upperBound * width])
                }
                let frames = steps * inputDim
                let part = ThreadBudget.$cap.withValue(1) {
                    // The part's inputs read in place (A's LSTM: no 6 MB copy per part).
                    runOnThisThread(UnsafeBufferPointer(rebasing: input.values[samples.lowerBound * frames..<samples.upperBound * frames]),
                                    recurrence: recurrence.batch(samples.count), initialStates: initialStates?.map { slice($0, width: w) },
                                    mask: mask.map { slice($0, width: steps) })
                }
                output.copy(part.output, count: part.output.count, to: samples.lowerBound * outputWidth)
                for (k, values) in part.states.enumerated() { states[k].copy(values, count: values.count, to: samples.lowerBound * w) }
            }
        }
        return (output.array(), states.map { $0.array() })
    }

    /// Floats of input projection computed ahead of the steps (64 KB) when the projection is wider
    /// than the inputs: steps are projected a chunk at a time, in cache, so that a long sequence does
    /// not hold the projection of every step at once (D at batch 64: 64 KB instead of 655 KB for its
    /// 40 steps; B, C and D at batch 64 measured as fast or faster than with every step at once).
    package static let projectionChunk = 1 << 14

    /// `run` on the calling thread (its products may still use the thread budget).
    private func runOnThisThread(_ x: UnsafeBufferPointer<Float>, recurrence: Recurrence, initialStates: [[Float]]?, mask: [Float]?)
        -> (output: [Float], states: [[Float]])
    {
        let rows = recurrence.batch, u = units, g = cell.gates * units, width = projectionWidth
        // The input projection, step-major, in `projections`. A row's projection does not depend on
        // its position, so the narrower side is reordered: the inputs before the product, a chunk of
        // steps at a time, or the projections after it, every step at once (A: 112 columns against
        // 11776 inputs).
        let reordersInputs = width >= inputDim
        let chunk = reordersInputs ? max(1, min(recurrence.steps, Self.projectionChunk / max(1, rows * width))) : recurrence.steps
        // Written before they are read: no zeros first.
        let inputs = UnsafeMutablePointer<Float>.allocate(capacity: reordersInputs ? chunk * rows * inputDim : 0)
        let projections = UnsafeMutablePointer<Float>.allocate(capacity: chunk * rows * width)
        defer {
            inputs.deallocate()
            projections.deallocate()
        }
        /// The projections of the processing steps `first ..< first + chunk` (those there are).
        func project(from first: Int) {
            guard reordersInputs else {
                var z = recurrence.stepMajor(GEMM.multiply(x, kernel, m: recurrence.steps * rows, bias: bias), frame: g)
                if fusedStep != nil { z = GateBlocks.interleaved(z, rows: z.count / g, units: u, gates: 4, block: PackedMatrix.panelWidth) }
                z.withUnsafeBufferPointer { if let values = $0.baseAddress { projections.initialize(from: values, count: $0.count) } }
                return
            }
            let steps = first..<min(first + chunk, recurrence.steps)
            recurrence.copyStepMajor(x, frame: inputDim, steps: steps, to: inputs)
            bias.withUnsafeBaseAddress { GEMM.multiply(inputs, kernel, projections, m: steps.count * rows, bias: $0) }
        }
        // Per-step scratch: the recurrent projection (GRU) and r*h (GRU, reset gate before the product).
        let rec = PinnedFloats(zeros: cell == .lstm || cell == .simple ? 0 : rows * g)
        let rh = PinnedFloats(zeros: cell == .gru(resetAfter: false) ? rows * u : 0)
        let startsAtZero = initialStates == nil
        return recurrence.run(initialStates: initialStates, mask: mask) { s, state, next in
            if s % chunk == 0 { project(from: s) }
            step(z: projections + s % chunk * rows * width, rows: rows, hIsZero: startsAtZero && s == 0, state: state, next: next,
                 rec: rec.pointer, rh: rh.pointer)
        }
    }

    /// One step on `rows` rows: `z (rows, G)` holds the input projection; `h` is known to be zero when `hIsZero`.
    private func step(z: UnsafeMutablePointer<Float>, rows: Int, hIsZero: Bool, state: UnsafePointer<Float>,
                      next: UnsafeMutablePointer<Float>, rec: UnsafeMutablePointer<Float>, rh: UnsafeMutablePointer<Float>) {
        let u = units, g = cell.gates * units, a = activation, ra = recurrentActivation
        let recurrent = recurrentKernel
        switch cell {
        case .lstm:
            if let fused = fusedStep {
                let n = rows * u
                kconv_lstm_step(fused.path, state, u, hIsZero ? nil : recurrent.pointer, z, rows, u, state + n, next, next + n,
                                fused.activation, fused.recurrentActivation)
                return
            }
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

/// The arguments of `kconv_lstm_step` that do not change from step to step; nil where it does not
/// run (the portable path, or an activation its cell does not compute).
private struct FusedLSTMStep: Sendable {
    let path: Int32, activation: Int32, recurrentActivation: Int32

    init?(path: GEMM.Path, activation: Activation, recurrentActivation: Activation) {
        guard let kernelPath = path.kernelPath, path.isAvailable,
              let a = activation.lstmCellCode, let ra = recurrentActivation.lstmCellCode else { return nil }
        (self.path, self.activation, self.recurrentActivation) = (kernelPath, a, ra)
    }
}

/// The inputs as the parts of a split recurrence read them (each its own samples, read only).
private struct Input: @unchecked Sendable {
    let values: UnsafeBufferPointer<Float>
}
