import Testing
import KConvOps

/// `Recurrence` (the time loop) with hand-written steps, and the two whole recurrences on cases small
/// enough to compute by hand. Every value below is exact in Float.
struct RecurrenceTests {
    /// Two samples, four steps, two states per sample (width 1): `h' = h + x[b][t]` and a counter of
    /// the steps taken `n' = n + 1`. Sample 0 starts from `h = 10` with mask `[0, 1, 0, 1]`; sample 1
    /// from 0, all steps valid.
    static func runningSums(_ policy: MaskedStepOutput, sequence: Bool = true) -> (output: [Float], states: [[Float]]) {
        let x: [[Float]] = [[1, 2, 3, 4], [1, 1, 1, 1]]
        let loop = Recurrence(batch: 2, steps: 4, stateWidth: 1, stateCount: 2,
                              returnsSequence: sequence, backwards: false, maskedOutput: policy)
        return loop.run(initialStates: [[10, 0], [0, 0]], mask: [0, 1, 0, 1, 1, 1, 1, 1]) { s, state, next in
            for b in 0..<2 {
                next[b] = state[b] + x[b][loop.inputStep(s)]
                next[2 + b] = state[2 + b] + 1
            }
        }
    }

    /// Sample 0: t0 masked (h stays 10, the step's 11 is dropped), t1 → 10 + 2 = 12, t2 masked (h stays
    /// 12), t3 → 12 + 4 = 16. The masked steps output, by policy: previous output (0 before any valid
    /// step, then 12), zeros, previous h (10, then 12). Sample 1 is never masked: 1, 2, 3, 4.
    @Test func maskedStepPolicies() {
        #expect(Self.runningSums(.previousOutput).output == [0, 12, 12, 16, 1, 2, 3, 4])
        #expect(Self.runningSums(.zeros).output == [0, 12, 0, 16, 1, 2, 3, 4])
        #expect(Self.runningSums(.previousState).output == [10, 12, 12, 16, 1, 2, 3, 4])
    }

    /// Masked steps keep every state: the counter of sample 0 counts only its 2 valid steps.
    @Test func finalStatesAndLastOutput() {
        let r = Self.runningSums(.zeros, sequence: false)
        #expect(r.output == [16, 4])
        #expect(r.states == [[16, 4], [2, 4]])
    }

    /// `h' = 10·h + x[t]` over x = [1, 2, 3]: forwards 1, 12, 123; backwards the steps are consumed
    /// t = 2, 1, 0 and the sequence stays in that processing order: 3, 32, 321.
    @Test func processingOrder() {
        for (backwards, expected) in [(false, [Float]([1, 12, 123])), (true, [3, 32, 321])] {
            let x: [Float] = [1, 2, 3]
            let loop = Recurrence(batch: 1, steps: 3, stateWidth: 1, stateCount: 1,
                                  returnsSequence: true, backwards: backwards, maskedOutput: .zeros)
            let r = loop.run(initialStates: nil, mask: nil) { s, state, next in
                next[0] = 10 * state[0] + x[loop.inputStep(s)]
            }
            #expect(r.output == expected)
            #expect(r.states == [[expected[2]]])
        }
    }

    /// x (2 samples, 3 steps, 2 values), values 10·b + 2·t + p: step-major row s·2 + b is x[b, t(s)].
    @Test func stepMajorOrder() {
        let x: [Float] = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]
        let forwards = Recurrence(batch: 2, steps: 3, stateWidth: 1, stateCount: 1,
                                  returnsSequence: false, backwards: false, maskedOutput: .zeros)
        #expect(forwards.stepMajor(x, frame: 2) == [0, 1, 10, 11, 2, 3, 12, 13, 4, 5, 14, 15])
        let backwards = Recurrence(batch: 2, steps: 3, stateWidth: 1, stateCount: 1,
                                   returnsSequence: false, backwards: true, maskedOutput: .zeros)
        #expect(backwards.stepMajor(x, frame: 2) == [4, 5, 14, 15, 2, 3, 12, 13, 0, 1, 10, 11])
    }

    /// A simple recurrence, 1 unit, linear: `h = x·1 + h·0.5`. x = [1, 2, 3]: h = 1, 2 + 0.5 = 2.5,
    /// 3 + 1.25 = 4.25; backwards (3, 2, 1): 3, 2 + 1.5 = 3.5, 1 + 1.75 = 2.75.
    @Test func denseSimpleRecurrenceByHand() {
        let rnn = DenseRecurrence(cell: .simple, inputDim: 1, units: 1, activation: .linear, recurrentActivation: .linear,
                                  kernel: [1], recurrentKernel: [0.5], bias: nil)
        for (backwards, expected) in [(false, [Float]([1, 2.5, 4.25])), (true, [3, 3.5, 2.75])] {
            let loop = Recurrence(batch: 1, steps: 3, stateWidth: 1, stateCount: 1,
                                  returnsSequence: true, backwards: backwards, maskedOutput: .zeros)
            let r = rnn.run([1, 2, 3], recurrence: loop, initialStates: nil, mask: nil)
            #expect(r.output == expected)
        }
    }

    /// An LSTM of 1 unit with linear activations, weights per gate [i, f, c, o]: W = [0.5, 0.5, 1, 1],
    /// U = [0, 0, 0, 0.5], no bias. x = [2, 1]:
    /// t0: z = [1, 1, 2, 2]; c = 1·0 + 1·2 = 2; h = 2·2 = 4.
    /// t1: z = [0.5, 0.5, 1, 1 + 4·0.5 = 3]; c = 0.5·2 + 0.5·1 = 1.5; h = 3·1.5 = 4.5.
    /// The dense form and the convolutional form with 1×1 kernels on a 1×1 frame agree.
    @Test func lstmByHandDenseAndConvolutional() {
        let w: [Float] = [0.5, 0.5, 1, 1], u: [Float] = [0, 0, 0, 0.5], x: [Float] = [2, 1]
        let loop = Recurrence(batch: 1, steps: 2, stateWidth: 1, stateCount: 2,
                              returnsSequence: true, backwards: false, maskedOutput: .zeros)
        let dense = DenseRecurrence(cell: .lstm, inputDim: 1, units: 1, activation: .linear, recurrentActivation: .linear,
                                    kernel: w, recurrentKernel: u, bias: nil)
        let d = dense.run(x, recurrence: loop, initialStates: nil, mask: nil)
        #expect(d.output == [4, 4.5])
        #expect(d.states == [[4.5], [1.5]])

        let unit = WindowAxis(size: 1, stride: 1, dilation: 1)
        let inputPlan = WindowPlan(batch: 2, height: 1, width: 1, channels: 1, rows: unit, cols: unit, padding: .valid)
        let recurrentPlan = WindowPlan(batch: 1, height: 1, width: 1, channels: 1, rows: unit, cols: unit, padding: .same)
        let conv = ConvolutionalLSTM(filters: 1, activation: .linear, recurrentActivation: .linear,
                                     kernel: w, recurrentKernel: u, bias: nil)
        let c = conv.run(x, inputPlan: inputPlan, recurrentPlan: recurrentPlan, recurrence: loop, initialStates: nil, mask: nil)
        #expect(c.output == [4, 4.5])
        #expect(c.states == [[4.5], [1.5]])
    }

    /// GRU with the reset gate before the product: the recurrent kernel (u, 3u) is split into its z/r
    /// and h columns. 1 unit, linear, W = [0, 0, 1], U = [0.5, 0.5, 0.25], h0 = 2, x = 1:
    /// z = 2·0.5 = 1 → h' = 1·2 + 0·(…) = 2 whatever the candidate; with U_z = 0 instead: z = 0,
    /// r = 2·0.5 = 1, hh = 1 + (r·h = 2)·0.25 = 1.5, h' = 0·2 + 1·1.5 = 1.5.
    @Test func gruResetBeforeSplitsTheRecurrentKernel() {
        let loop = Recurrence(batch: 1, steps: 1, stateWidth: 1, stateCount: 1,
                              returnsSequence: false, backwards: false, maskedOutput: .zeros)
        for (uz, expected) in [(Float(0.5), Float(2)), (0, 1.5)] {
            let gru = DenseRecurrence(cell: .gru(resetAfter: false), inputDim: 1, units: 1, activation: .linear,
                                      recurrentActivation: .linear, kernel: [0, 0, 1], recurrentKernel: [uz, 0.5, 0.25], bias: nil)
            #expect(gru.run([1], recurrence: loop, initialStates: [[2]], mask: nil).output == [expected])
        }
    }

    @Test func pinnedFloats() {
        let p = PinnedFloats([1, 2, 3])
        p.copy([7, 8, 9], count: 2, to: 1)
        #expect(p.array() == [1, 7, 8])
        #expect(p.array(from: 2) == [8])
        #expect(PinnedFloats(zeros: 0).array() == [])
    }
}
