/// What a masked time step outputs; the sample's states always stay those of the previous step.
package enum MaskedStepOutput: Sendable, Equatable {
    /// The previous step's output: zeros before the first valid step.
    case previousOutput
    /// Zeros.
    case zeros
    /// The previous `h` state; differs from `previousOutput` only when a non-zero initial state
    /// meets a masked first step.
    case previousState
}

/// The time loop of a recurrence: processing order, per-sample masking, the output sequence or the
/// last output, and the final states. The cell itself is the `step` closure of `run`.
///
/// States are `stateCount` blocks of `(batch, stateWidth)`, block after block; block 0 is `h`, which
/// is also the step's output.
package struct Recurrence: Sendable {
    package let batch: Int
    package let steps: Int
    /// Values of one state per sample (units, or positions × filters for a convolutional cell).
    package let stateWidth: Int
    package let stateCount: Int
    /// Whether every step's output is returned, `(batch, steps, stateWidth)`, else only the last one.
    package let returnsSequence: Bool
    /// Whether the steps are consumed last to first (the returned sequence stays in processing order).
    package let backwards: Bool
    package let maskedOutput: MaskedStepOutput

    package init(batch: Int, steps: Int, stateWidth: Int, stateCount: Int,
                 returnsSequence: Bool, backwards: Bool, maskedOutput: MaskedStepOutput) {
        (self.batch, self.steps) = (batch, steps)
        (self.stateWidth, self.stateCount) = (stateWidth, stateCount)
        (self.returnsSequence, self.backwards, self.maskedOutput) = (returnsSequence, backwards, maskedOutput)
    }

    /// The input step consumed at processing step `s`.
    package func inputStep(_ s: Int) -> Int { backwards ? steps - 1 - s : s }

    /// `x (batch, steps, frame)` rearranged step-major in processing order: row `s·batch + b` is
    /// `x[b, inputStep(s), :]`.
    package func stepMajor(_ x: [Float], frame: Int) -> [Float] {
        let count = steps * batch * frame
        return [Float](unsafeUninitializedCapacity: count) { xs, initialized in
            defer { initialized = count }
            guard let destination = xs.baseAddress, x.count >= count else {
                xs.initialize(repeating: 0)
                return
            }
            x.withUnsafeBufferPointer { copyStepMajor($0, frame: frame, steps: 0..<steps, to: destination) }
        }
    }

    /// The rows of `stepMajor(x, frame:)` for the processing steps `range`, written from `destination`
    /// on (`range.count · batch · frame` floats); `x` holds the whole `(batch, steps, frame)` input.
    package func copyStepMajor(_ x: UnsafeBufferPointer<Float>, frame: Int, steps range: Range<Int>,
                               to destination: UnsafeMutablePointer<Float>) {
        guard let source = x.baseAddress, x.count >= batch * steps * frame else { return }
        for (r, s) in range.enumerated() {
            let t = inputStep(s)
            for b in 0..<batch {
                (destination + (r * batch + b) * frame).initialize(from: source + (b * steps + t) * frame, count: frame)
            }
        }
    }

    /// The same recurrence over `count` samples (a part of the batch).
    package func batch(_ count: Int) -> Recurrence {
        Recurrence(batch: count, steps: steps, stateWidth: stateWidth, stateCount: stateCount,
                   returnsSequence: returnsSequence, backwards: backwards, maskedOutput: maskedOutput)
    }

    /// Runs the steps in processing order, from `initialStates` (one array per state, zeros when nil).
    /// `step(s, state, next)` reads the states and writes the new (unmasked) states of every sample to
    /// `next`, all of them; the loop keeps them for the samples whose `mask (batch, steps)` value is
    /// non-zero at the consumed step (all samples without a mask). Returns the output (`(batch, steps,
    /// stateWidth)` in processing order with `returnsSequence`, else the last step's `(batch,
    /// stateWidth)`) and the final states.
    package func run(initialStates: [[Float]]?, mask: [Float]?,
                     step: (_ s: Int, _ state: UnsafePointer<Float>, _ next: UnsafeMutablePointer<Float>) -> Void)
        -> (output: [Float], states: [[Float]])
    {
        let w = stateWidth, n = batch * w
        var state = PinnedFloats(zeros: stateCount * n), next = PinnedFloats(zeros: stateCount * n)
        if let initialStates {
            for (k, values) in initialStates.enumerated() where k < stateCount {
                state.copy(values, count: min(n, values.count), to: k * n)
            }
        }
        // Without a mask the step's output is the new h: the two state buffers swap roles each step.
        // With one, `out` holds each sample's output (which a masked step may keep or zero).
        let out = PinnedFloats(zeros: mask == nil ? 0 : n)
        let sequence = PinnedFloats(zeros: returnsSequence ? batch * steps * w : 0)
        let seq = sequence.pointer
        for s in 0..<steps {
            step(s, UnsafePointer(state.pointer), next.pointer)
            if let mask {
                keepUnmasked(mask, step: inputStep(s), state: state.pointer, next: next.pointer, out: out.pointer)
            } else {
                swap(&state, &next)
            }
            if returnsSequence {
                let o = mask == nil ? state.pointer : out.pointer
                for b in 0..<batch { (seq + (b * steps + s) * w).update(from: o + b * w, count: w) }
            }
        }
        let states = (0..<stateCount).map { state.array(from: $0 * n, count: n) }
        let output = returnsSequence ? sequence.array() : mask == nil ? states[0] : out.array()
        return (output, states)
    }

    /// After a masked step: the new states and output of the samples whose mask is non-zero at input
    /// step `t`; the others keep their states, and their output follows `maskedOutput`.
    private func keepUnmasked(_ mask: [Float], step t: Int, state h: UnsafeMutablePointer<Float>,
                              next new: UnsafeMutablePointer<Float>, out o: UnsafeMutablePointer<Float>) {
        let w = stateWidth, n = batch * w
        for b in 0..<batch {
            let offset = b * w
            if mask[b * steps + t] != 0 {
                for k in 0..<stateCount {
                    (h + k * n + offset).update(from: new + k * n + offset, count: w)
                }
                (o + offset).update(from: new + offset, count: w)
            } else {
                switch maskedOutput {
                case .previousOutput: break
                case .zeros: (o + offset).update(repeating: 0, count: w)
                case .previousState: (o + offset).update(from: h + offset, count: w)
                }
            }
        }
    }
}
