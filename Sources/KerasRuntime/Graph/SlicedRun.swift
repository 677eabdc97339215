import Foundation
import KConvOps

/// Consecutive layer calls that run one slice of the batch at a time, every call of the run on a
/// slice before the next slice starts, so that the values passed between them stay in the core's
/// cache instead of going through memory whole (A's two convolutions at batch 64: 18.9 MB between
/// them, 295 KB per sample). With several threads, the slices go to the threads whole (one thread
/// each, no synchronisation per layer).
///
/// A run is made of calls of layers that compute each sample alone (`Layer.isSampleWise`), with one
/// input and one output each, small weights (read again for every slice), every value between them
/// read by the next call only. A sample's results are those of the whole batch, bit for bit: the
/// layers' per-sample results do not depend on the batch size or the thread count.
struct SlicedRun: Sendable {
    /// The steps of the graph it covers.
    let steps: Range<Int>
    /// The layers of those steps, in order.
    let layers: [Int]
    /// Floats per sample of the largest value passed between the run's calls.
    let largestIntermediate: Int
    /// The shape of one sample of the run's output.
    let outputSample: [Int]

    /// Bytes of the largest value between calls per slice: with the next one and the layers'
    /// weights and scratch, a slice stays within a core's L2 (512 KB on Zen 3, 1–2 MB on Zen 4/5 and
    /// recent Xeons).
    static let sliceBytes = 256 << 10
    /// Weights of more than this many floats (1 MB) would be read from memory again for each slice;
    /// such layers run on the whole batch.
    static let weightLimit = 1 << 18

    /// The runs of at least two calls among `steps`, by their first step.
    static func find(steps: [LayerGraph.Step], layers: [any Layer], valueShapes: [Shape], modelOutputs: [Int])
        -> [Int: SlicedRun]
    {
        var uses = Array(repeating: 0, count: valueShapes.count)
        for s in steps { for v in s.inputs { uses[v] += 1 } }
        for v in modelOutputs { uses[v] += 1 }

        /// The shape of one sample of a value, when all but its batch dimension are known.
        func sampleShape(_ v: Int) -> [Int]? {
            let dims = valueShapes[v].dropFirst(), known = dims.compactMap { $0 }
            return known.count == dims.count ? known : nil
        }
        /// Floats per sample of a value, when its sample shape is known.
        func sampleCount(_ v: Int) -> Int? { sampleShape(v).flatMap(Tensor.elementCount) }
        func qualifies(_ s: LayerGraph.Step) -> Bool {
            let layer = layers[s.layer]
            return layer.isSampleWise && s.inputs.count == 1 && s.outputs.count == 1 && sampleCount(s.outputs[0]) != nil
                && layer.weights.reduce(0) { $0 + $1.tensor.count } <= weightLimit
        }

        var runs: [Int: SlicedRun] = [:]
        var first = 0
        while first < steps.count {
            guard qualifies(steps[first]) else { first += 1; continue }
            var end = first + 1
            while end < steps.count, qualifies(steps[end]), steps[end].inputs == steps[end - 1].outputs,
                  uses[steps[end - 1].outputs[0]] == 1 {
                end += 1
            }
            if end - first >= 2, let shape = sampleShape(steps[end - 1].outputs[0]), shape.allSatisfy({ $0 > 0 }) {
                let between = steps[first ..< end - 1].compactMap { sampleCount($0.outputs[0]) }
                runs[first] = SlicedRun(steps: first ..< end, layers: steps[first ..< end].map(\.layer),
                                        largestIntermediate: between.max() ?? 0, outputSample: shape)
            }
            first = end
        }
        return runs
    }

    /// The run's output for `x`, slice by slice; nil when the values between the calls fit in one
    /// slice (or the batch has fewer samples than threads), where the calls run on the whole batch
    /// as usual.
    func call(_ x: Tensor, layers all: [any Layer]) throws -> Tensor? {
        guard let batch = x.shape.first, batch > 0 else { return nil }
        let perSlice = max(1, Self.sliceBytes / max(1, 4 * largestIntermediate))
        let slices = (batch + perSlice - 1) / perSlice, threads = ThreadBudget.threads
        // Whole slices per thread: as many slices as a multiple of the threads, each on one thread.
        let parts = min(batch, (slices + threads - 1) / threads * threads)
        guard slices > 1, parts >= threads else { return nil }

        let layers = self.layers.map { all[$0] }
        let frame = x.count / batch, width = outputSample.reduce(1, *), total = batch * width
        let failure = FirstFailure()
        let scalars = try [Float](unsafeUninitializedCapacity: total) { buffer, count in
            guard let base = buffer.baseAddress else { return }  // never: total > 0
            let output = SliceOutput(base: base)
            Parallel.run(parts: parts, threads: threads) { p in
                let samples = batch * p / parts ..< batch * (p + 1) / parts
                do {
                    var y = Tensor(uncheckedShape: [samples.count] + x.shape.dropFirst(),
                                   scalars: Array(x.scalars[samples.lowerBound * frame ..< samples.upperBound * frame]))
                    try ThreadBudget.$cap.withValue(threads > 1 ? 1 : ThreadBudget.cap) {
                        for layer in layers {
                            let outputs = try layer.call([y])
                            guard outputs.count == 1 else {
                                throw KerasError(.format, "layer '\(layer.name)' returned \(outputs.count) tensors, expected 1")
                            }
                            y = outputs[0]
                        }
                    }
                    guard y.shape == [samples.count] + outputSample else {
                        throw KerasError(.shape, "layer '\(layers.last?.name ?? "")' returned shape \(y.shape) for \(samples.count) samples, expected \([samples.count] + outputSample)")
                    }
                    y.scalars.withUnsafeBufferPointer { values in
                        if let v = values.baseAddress { (output.base + samples.lowerBound * width).update(from: v, count: values.count) }
                    }
                } catch {
                    failure.record(error)
                }
            }
            if let error = failure.error { throw error }
            count = total
        }
        guard scalars.count == total else { return nil }
        return Tensor(uncheckedShape: [batch] + outputSample, scalars: scalars)
    }
}

/// The output as the slices' threads see it: each writes its own samples.
private struct SliceOutput: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

/// The first error a slice threw. `@unchecked Sendable`: `stored` is only touched under `lock`.
private final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?

    func record(_ error: any Error) { lock.withLock { if stored == nil { stored = error } } }
    var error: (any Error)? { lock.withLock { stored } }
}
