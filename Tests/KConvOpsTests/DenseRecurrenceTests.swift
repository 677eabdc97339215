import Testing
import KConvOps

/// `DenseRecurrence` LSTMs against the recurrence written out element by element, bit for bit: the
/// fused step of the x86 paths (`kconv_lstm_step`, gate-block layout) or the plain product and cell
/// elsewhere; and the same bits whatever the thread cap (batch parts run on their own threads) and
/// whatever rows come with a row.
struct DenseRecurrenceTests {
    /// Pseudo-random values in about [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
    }

    /// `acc + a·b` as the kernels of `GEMM.path` compute it: one fused multiply-add on the fused paths,
    /// a rounded multiply then a rounded add on the Swift path.
    static func multiplyAdd(_ acc: Float, _ a: Float, _ b: Float) -> Float {
        GEMM.fused ? acc.addingProduct(a, b) : acc + a * b
    }

    /// The LSTM written out: for each sample and step, `z = b + Σ x·W + Σ h·U` in input order, then
    /// the cell with the scalar activations; returns the output sequence and the final states.
    static func reference(x: [Float], batch: Int, steps: Int, inputDim: Int, units u: Int, kernel: [Float],
                          recurrentKernel: [Float], bias: [Float], h0: [Float], c0: [Float], mask: [Float]?,
                          a: (Float) -> Float, ra: (Float) -> Float) -> (output: [Float], h: [Float], c: [Float]) {
        let g = 4 * u
        var h = h0, c = c0, output = [Float](repeating: 0, count: batch * steps * u)
        var out = [Float](repeating: 0, count: batch * u)
        for b in 0..<batch {
            for t in 0..<steps {
                var z = Array(bias)
                for j in 0..<g {
                    for p in 0..<inputDim { z[j] = multiplyAdd(z[j], x[(b * steps + t) * inputDim + p], kernel[p * g + j]) }
                    for p in 0..<u { z[j] = multiplyAdd(z[j], h[b * u + p], recurrentKernel[p * g + j]) }
                }
                if mask?[b * steps + t] ?? 1 != 0 {
                    for j in 0..<u {
                        let cell = ra(z[u + j]) * c[b * u + j] + ra(z[j]) * a(z[2 * u + j])
                        c[b * u + j] = cell
                        out[b * u + j] = a(cell) * ra(z[3 * u + j])
                    }
                    for j in 0..<u { h[b * u + j] = out[b * u + j] }
                }
                for j in 0..<u { output[(b * steps + t) * u + j] = out[b * u + j] }
            }
        }
        return (output, h, c)
    }

    @Test("the LSTM gives the bits of the recurrence written out, on every kernel path and thread cap",
          arguments: [(1, 3), (1, 100), (12, 5), (12, 70), (16, 9), (28, 2), (37, 70), (37, 200)])
    func lstmMatchesWrittenOutRecurrence(units u: Int, inputDim: Int) {
        let batch = 13, steps = 4, g = 4 * u
        let kernel = Self.values(inputDim * g, seed: 1), recurrentKernel = Self.values(u * g, seed: 2)
        let bias = Self.values(g, seed: 3), x = Self.values(batch * steps * inputDim, seed: 4)
        let h0 = Self.values(batch * u, seed: 5), c0 = Self.values(batch * u, seed: 6)
        let mask = (0..<batch * steps).map { Float(($0 * 7) % 5 == 0 ? 0 : 1) }
        // Every fused path this CPU runs (the paths agree bit for bit), or the Swift path alone.
        let paths = GEMM.fused ? KernelPathTests.fusedPaths : [GEMM.Path.portable]
        let models = paths.map { path in
            DenseRecurrence(cell: .lstm, inputDim: inputDim, units: u, activation: .tanh, recurrentActivation: .sigmoid,
                            kernel: kernel, recurrentKernel: recurrentKernel, bias: bias, stepPath: path)
        }
        let loop = Recurrence(batch: batch, steps: steps, stateWidth: u, stateCount: 2, returnsSequence: true,
                              backwards: false, maskedOutput: .previousOutput)
        for withMask in [false, true] {
            let want = Self.reference(x: x, batch: batch, steps: steps, inputDim: inputDim, units: u, kernel: kernel,
                                      recurrentKernel: recurrentKernel, bias: bias, h0: h0, c0: c0,
                                      mask: withMask ? mask : nil, a: Activation.tanh, ra: Activation.sigmoid)
            for (path, rnn) in zip(paths, models) {
                for threads in [1, 2, 3] {
                    let got = ThreadBudget.$cap.withValue(threads) {
                        rnn.run(x, recurrence: loop, initialStates: [h0, c0], mask: withMask ? mask : nil)
                    }
                    let context = "units \(u), inputs \(inputDim), mask \(withMask), \(path), threads \(threads)"
                    #expect(got.output.map(\.bitPattern) == want.output.map(\.bitPattern), "\(context)")
                    #expect(got.states[0].map(\.bitPattern) == want.h.map(\.bitPattern), "\(context)")
                    #expect(got.states[1].map(\.bitPattern) == want.c.map(\.bitPattern), "\(context)")
                }
            }
        }
    }

    @Test("a long sequence is projected a chunk of steps at a time, with the bits of the recurrence written out")
    func chunkedProjectionMatchesWrittenOutRecurrence() {
        // D at batch 64: 64 rows × 64 projection columns, 40 steps: more than one chunk of steps.
        let u = 12, inputDim = 3, steps = 40, batch = 64, g = 4 * u
        #expect(steps * batch * 64 > DenseRecurrence.projectionChunk)
        let kernel = Self.values(inputDim * g, seed: 21), recurrentKernel = Self.values(u * g, seed: 22)
        let bias = Self.values(g, seed: 23), x = Self.values(batch * steps * inputDim, seed: 24)
        let h0 = Self.values(batch * u, seed: 25), c0 = Self.values(batch * u, seed: 26)
        let mask = (0..<batch * steps).map { Float(($0 * 5) % 7 == 0 ? 0 : 1) }
        let rnn = DenseRecurrence(cell: .lstm, inputDim: inputDim, units: u, activation: .tanh, recurrentActivation: .sigmoid,
                                  kernel: kernel, recurrentKernel: recurrentKernel, bias: bias)
        let loop = Recurrence(batch: batch, steps: steps, stateWidth: u, stateCount: 2, returnsSequence: true,
                              backwards: false, maskedOutput: .previousOutput)
        let want = Self.reference(x: x, batch: batch, steps: steps, inputDim: inputDim, units: u, kernel: kernel,
                                  recurrentKernel: recurrentKernel, bias: bias, h0: h0, c0: c0, mask: mask,
                                  a: Activation.tanh, ra: Activation.sigmoid)
        let got = ThreadBudget.$cap.withValue(1) { rnn.run(x, recurrence: loop, initialStates: [h0, c0], mask: mask) }
        #expect(got.output.map(\.bitPattern) == want.output.map(\.bitPattern))
        #expect(got.states[1].map(\.bitPattern) == want.c.map(\.bitPattern))
    }

    @Test("a large LSTM batch split over threads gives each row the bits it has alone, from zero states")
    func rowsIndependentOfBatchAndThreads() {
        let u = 40, inputDim = 24, steps = 30, batch = 48, g = 4 * u
        let rnn = DenseRecurrence(cell: .lstm, inputDim: inputDim, units: u, activation: .plainReLU, recurrentActivation: .sigmoid,
                                  kernel: Self.values(inputDim * g, seed: 7), recurrentKernel: Self.values(u * g, seed: 8),
                                  bias: Self.values(g, seed: 9))
        let x = Self.values(batch * steps * inputDim, seed: 10)
        func run(_ rows: Range<Int>, threads: Int) -> [Float] {
            let loop = Recurrence(batch: rows.count, steps: steps, stateWidth: u, stateCount: 2, returnsSequence: false,
                                  backwards: true, maskedOutput: .zeros)
            let part = Array(x[rows.lowerBound * steps * inputDim..<rows.upperBound * steps * inputDim])
            return ThreadBudget.$cap.withValue(threads) { rnn.run(part, recurrence: loop, initialStates: nil, mask: nil).output }
        }
        let whole = run(0..<batch, threads: 1)
        #expect(run(0..<batch, threads: 2).map(\.bitPattern) == whole.map(\.bitPattern))
        #expect(run(0..<batch, threads: 5).map(\.bitPattern) == whole.map(\.bitPattern))
        for row in [0, 17, 47] {
            #expect(run(row..<row + 1, threads: 2).map(\.bitPattern) == whole[row * u..<(row + 1) * u].map(\.bitPattern), "row \(row)")
        }
    }

    @Test func gateBlocksInterleave() {
        // 1 row, 2 gates of 3 units, blocks of 2: [g0u0 g0u1 | g1u0 g1u1 | g0u2 0 | g1u2 0].
        #expect(GateBlocks.interleaved([1, 2, 3, 4, 5, 6], rows: 1, units: 3, gates: 2, block: 2) == [1, 2, 4, 5, 3, 0, 6, 0])
    }
}

/// Gate-block packing straight from the Keras layout equals packing the interleaved matrix.
struct GateBlockPackingTests {
    @Test(arguments: [1, 12, 16, 28, 37])
    func packsLikeTheInterleavedMatrix(units u: Int) {
        let rows = 5, m = DenseRecurrenceTests.values(rows * 4 * u, seed: UInt64(u))
        let direct = PackedMatrix(gateBlocks: m, rows: rows, units: u, gates: 4)
        let interleaved = GateBlocks.interleaved(m, rows: rows, units: u, gates: 4, block: PackedMatrix.panelWidth)
        let viaArray = PackedMatrix(interleaved, rows: rows, columns: interleaved.count / rows)
        #expect(direct.columns == viaArray.columns)
        #expect(direct.unpacked() == viaArray.unpacked())
    }
}
