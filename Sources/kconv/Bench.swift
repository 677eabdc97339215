import ArgumentParser
import Foundation
import KerasImport
import KerasRuntime

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure load time, latency (median, p90), throughput, GFLOP/s, per-layer times and peak memory.",
        discussion: """
            Inputs are seeded uniform random values in [-1, 1) of the model's input shapes (unknown \
            dimensions other than the batch become 8). GFLOP/s count 2 × the multiply-adds of the dense, \
            convolution and recurrent layers. Tools/bench/benchmark.py runs this beside ONNX Runtime and \
            TensorFlow on the same models and prints the ratios.
            """
    )

    @OptionGroup var source: ModelFile

    @OptionGroup var threadCap: ThreadCap

    @Option(name: .long, help: "Batch sizes to measure (repeatable).")
    var batch: [Int] = [1, 32]

    @Option(name: .long, help: "Timed runs per batch size (after one warm-up run).")
    var iterations = 20

    @Flag(name: .long, help: "Also time each layer call (separate runs, medians; every layer over the whole batch).")
    var layers = false

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard iterations > 0, iterations <= 100_000 else { throw ValidationError("--iterations must be in 1...100000") }
        guard !batch.isEmpty, batch.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
            throw ValidationError("--batch must be between 1 and 65536")
        }
    }

    /// One batch size's measurements.
    struct Run {
        let batch: Int
        let times: [Double]
        let multiplyAdds: Int
        /// Per layer call, in execution order.
        let layers: [LayerTime]

        var median: Double { Bench.quantile(times, 0.5) }
        var p90: Double { Bench.quantile(times, 0.9) }
        var gflops: Double { 2 * Double(multiplyAdds) / median / 1e9 }
    }

    func run() throws {
        let start = DispatchTime.now()
        let model = try source.load().configured(threadCap.configuration)
        let loadSeconds = Bench.seconds(since: start)
        var generator = SplitMix64(seed: 42)
        var runs: [Run] = []
        var firstPrediction = 0.0
        for b in batch {
            let inputs = try model.inputs.map(\.shape).map { shape -> Tensor in
                let dims = [b] + shape.dropFirst().map { $0 ?? 8 }
                let count = dims.reduce(1, *)
                return try Tensor(shape: dims, scalars: (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) })
            }
            let t0 = DispatchTime.now()
            _ = try model.predict(inputs)
            if runs.isEmpty { firstPrediction = Bench.seconds(since: t0) }
            var times: [Double] = []
            for _ in 0..<iterations {
                let t0 = DispatchTime.now()
                _ = try model.predict(inputs)
                times.append(Bench.seconds(since: t0))
            }
            let counts = model.graph.multiplyAdds(batch: b)
            runs.append(Run(batch: b, times: times, multiplyAdds: counts.reduce(0) { $0 + $1.multiplyAdds },
                            layers: layers ? try layerTimes(model, inputs, counts) : []))
        }
        let peak = Bench.peakResidentBytes()
        if json {
            print(report(runs, load: loadSeconds, first: firstPrediction, peak: peak).serialized)
        } else {
            printTable(runs, load: loadSeconds, first: firstPrediction, peak: peak)
        }
    }

    /// One layer call's median time.
    struct LayerTime {
        let name: String
        let multiplyAdds: Int
        let seconds: Double

        var gflops: Double { seconds > 0 ? 2 * Double(multiplyAdds) / seconds / 1e9 : 0 }
    }

    /// Median time of each layer call over `iterations` observed runs (the time from the previous
    /// call's end to this one's, so graph bookkeeping counts for the layer after it).
    private func layerTimes(_ model: KerasModel, _ inputs: [Tensor], _ counts: [(layer: String, multiplyAdds: Int)]) throws
        -> [LayerTime]
    {
        var samples = Array(repeating: [Double](), count: counts.count)
        for _ in 0..<iterations {
            var index = 0
            var last = DispatchTime.now()
            _ = try model.predict(inputs) { _, _, _ in
                let now = DispatchTime.now()
                if index < samples.count { samples[index].append(Double(now.uptimeNanoseconds - last.uptimeNanoseconds) / 1e9) }
                index += 1
                last = DispatchTime.now()
            }
        }
        return zip(counts, samples).map { LayerTime(name: $0.layer, multiplyAdds: $0.multiplyAdds, seconds: Bench.quantile($1, 0.5)) }
    }

    private var threadsDescription: String {
        threadCap.threads.map(String.init) ?? "all (\(ProcessInfo.processInfo.activeProcessorCount))"
    }

    private func report(_ runs: [Run], load: Double, first: Double, peak: Int) -> JSON {
        let rows: [JSON] = runs.map { r in
            var row: [String: JSON] = [
                "batch": .number(Double(r.batch)), "median_ms": .number(r.median * 1000), "p90_ms": .number(r.p90 * 1000),
                "min_ms": .number((r.times.min() ?? 0) * 1000), "samples_per_s": .number(Double(r.batch) / r.median),
                "multiply_adds": .number(Double(r.multiplyAdds)), "gflops": .number(r.gflops),
            ]
            if layers {
                row["layers"] = .array(r.layers.map { l in
                    .object(["name": .string(l.name), "multiply_adds": .number(Double(l.multiplyAdds)),
                             "median_ms": .number(l.seconds * 1000), "gflops": .number(l.gflops)])
                })
            }
            return .object(row)
        }
        return .object([
            "model": .string(source.path), "load_ms": .number(load * 1000), "first_prediction_ms": .number(first * 1000),
            "peak_rss_mb": .number(Double(peak) / 1_048_576), "kernels": .string(KernelPath.name),
            "threads": threadCap.threads.map { .number(Double($0)) } ?? .null, "runs": .array(rows),
        ])
    }

    private func printTable(_ runs: [Run], load: Double, first: Double, peak: Int) {
        print("model: \(source.path)")
        print("kernels: \(KernelPath.name); threads: \(threadsDescription)")
        print(String(format: "load: %.1f ms; first prediction: %.2f ms", load * 1000, first * 1000))
        print("batch   median ms   p90 ms   samples/s   GFLOP/s")
        for r in runs {
            print(String(format: "%5d   %9.3f   %6.3f   %9.1f   %7.2f", r.batch, r.median * 1000, r.p90 * 1000,
                         Double(r.batch) / r.median, r.gflops))
            for l in r.layers {
                print("        " + l.name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: " %9.3f ms   %7.2f GFLOP/s", l.seconds * 1000, l.gflops))
            }
        }
        print(String(format: "peak resident memory: %.1f MB", Double(peak) / 1_048_576))
    }

    /// The `q` quantile of `values` (nearest rank).
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[max(0, min(sorted.count - 1, rank))]
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// The process' peak resident set size: `VmHWM` on Linux (getrusage's maximum survives exec, so a
    /// child of a large process would report its parent's), `ru_maxrss` elsewhere.
    static func peakResidentBytes() -> Int {
        #if os(Linux)
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        #else
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)
        #endif
    }
}
