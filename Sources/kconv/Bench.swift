import ArgumentParser
import Foundation
import KerasImport
import KerasRuntime

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure load time, inference latency, throughput and peak memory.",
        discussion: """
            Inputs are seeded uniform random values in [-1, 1) of the model's input shapes (unknown \
            dimensions other than the batch become 8). Tools/bench/benchmark.py runs this beside TensorFlow \
            on the same models and prints the ratios.
            """
    )

    @OptionGroup var source: ModelFile

    @Option(name: .long, help: "Batch sizes to measure (repeatable).")
    var batch: [Int] = [1, 32]

    @Option(name: .long, help: "Timed runs per batch size (after one warm-up run).")
    var iterations = 20

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard iterations > 0, iterations <= 100_000 else { throw ValidationError("--iterations must be in 1...100000") }
        guard !batch.isEmpty, batch.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
            throw ValidationError("--batch must be between 1 and 65536")
        }
    }

    func run() throws {
        let start = DispatchTime.now()
        let model = try source.load()
        let loadSeconds = Bench.seconds(since: start)
        var generator = SplitMix64(seed: 42)
        var rows: [JSON] = []
        if !json {
            print("model: \(source.path)")
            print(String(format: "load: %.1f ms", loadSeconds * 1000))
            print("batch   median ms   min ms   samples/s")
        }
        for b in batch {
            let inputs = try model.inputs.map(\.shape).map { shape -> Tensor in
                let dims = [b] + shape.dropFirst().map { $0 ?? 8 }
                let count = dims.reduce(1, *)
                return try Tensor(shape: dims, scalars: (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) })
            }
            _ = try model.predict(inputs)
            var times: [Double] = []
            for _ in 0..<iterations {
                let t0 = DispatchTime.now()
                _ = try model.predict(inputs)
                times.append(Bench.seconds(since: t0))
            }
            times.sort()
            let median = times[times.count / 2]
            if json {
                rows.append(.object(["batch": .number(Double(b)), "median_ms": .number(median * 1000),
                                     "min_ms": .number(times[0] * 1000), "samples_per_s": .number(Double(b) / median)]))
            } else {
                print(String(format: "%5d   %9.3f   %6.3f   %9.1f", b, median * 1000, times[0] * 1000, Double(b) / median))
            }
        }
        let peakMB = Double(Bench.peakResidentBytes()) / 1_048_576
        if json {
            print(JSON.object(["model": .string(source.path), "load_ms": .number(loadSeconds * 1000),
                               "peak_rss_mb": .number(peakMB), "runs": .array(rows)]).serialized)
        } else {
            print(String(format: "peak resident memory: %.1f MB", peakMB))
        }
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
