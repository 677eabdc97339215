import Foundation
import Testing
import TestSupport
import KerasRuntime

/// Runs the real `kconv` binary, as users and scripts do.
struct KConvRun {
    let status: Int32
    let stdout: String
    let stderr: String
    /// Standard output's bytes (for a .npy written there).
    let stdoutData: Data

    static let binary: URL = {
        // The test runner sits in the build products directory, next to the kconv executable.
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kconv")
    }()

    static func caseFile(_ relative: String) -> String { Repository.caseFile(relative) }

    /// Runs kconv with `arguments`; `stdin`, when given, is piped to its standard input.
    init(_ arguments: [String], stdin: Data? = nil) throws {
        let process = Process()
        process.executableURL = KConvRun.binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            // Written from another thread: a large input would otherwise block on a full pipe.
            let writer = input.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(stdin)
                try? writer.close()
            }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        stdoutData = outData
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }

    var stderrLines: [Substring] { stderr.split(separator: "\n") }
}

func temporaryFile(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("kconv-cli-\(UUID().uuidString)-\(name)").path
}

@Suite("kconv command line")
struct CommandTests {
    @Test("the kconv binary is there")
    func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: KConvRun.binary.path), "\(KConvRun.binary.path)")
    }

    @Test("verify --layers compares every layer with Keras' and names the first one that diverges")
    func verifyLayers() throws {
        let args = ["verify", KConvRun.caseFile("conv1d_lstm/model.h5"), "--input", KConvRun.caseFile("conv1d_lstm/input_0.npy"),
                    "--expected", KConvRun.caseFile("conv1d_lstm/expected_0.npy"), "--layers"]
        let good = try KConvRun(args + [KConvRun.caseFile("conv1d_lstm/layers")])
        #expect(good.status == 0)
        #expect(good.stdout.contains("layers: 4 compared, all within tolerance"), "\(good.stdout)")

        // Keras' per-layer outputs with one element of the LSTM's (the third layer) moved by 0.01.
        let dir = temporaryFile("layers")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["conv1d", "max_pooling1d", "lstm", "dense"] {
            var t = try Npy.read(URL(fileURLWithPath: KConvRun.caseFile("conv1d_lstm/layers/\(name).npy")))
            if name == "lstm" { t.scalars[5] += 0.01 }
            try Npy.write(t, to: URL(fileURLWithPath: "\(dir)/\(name).npy"))
        }
        let bad = try KConvRun(args + [dir])
        #expect(bad.status == 0, "the outputs still pass; the layer report is a diagnosis")
        #expect(bad.stdout.contains("layers: 4 compared; first diverging layer: 'lstm' (LSTM)"), "\(bad.stdout)")
        #expect(bad.stdout.contains("first failure at [0, 5]"), "\(bad.stdout)")

        let missing = try KConvRun(args + [temporaryFile("absent")])
        #expect(missing.status == 2 && missing.stderrLines.count == 1)
    }

    @Test("verify --json: one machine-readable report; a mismatch still exits 1")
    func verifyJSON() throws {
        let model = KConvRun.caseFile("conv1d_lstm/model.h5"), input = KConvRun.caseFile("conv1d_lstm/input_0.npy")
        let good = try KConvRun(["verify", model, "--input", input, "--expected", KConvRun.caseFile("conv1d_lstm/expected_0.npy"),
                                 "--layers", KConvRun.caseFile("conv1d_lstm/layers"), "--json"])
        #expect(good.status == 0)
        let report = try JSON(parsing: good.stdout)
        #expect(report["passed"] == .bool(true))
        #expect(report["layers"]?["compared"] == .number(4))
        #expect(report["outputs"]?.arrayValue?.first?["name"] == .string("dense") && report["outputs"]?.arrayValue?.first?["count"] == .number(16))

        // Keras' outputs with element [1, 3] moved by 0.5: that element fails, and is the worst.
        var expected = try Npy.read(URL(fileURLWithPath: KConvRun.caseFile("conv1d_lstm/expected_0.npy")))
        expected.scalars[8 + 3] += 0.5
        let path = temporaryFile("expected.npy")
        try Npy.write(expected, to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bad = try KConvRun(["verify", model, "--input", input, "--expected", path, "--json"])
        #expect(bad.status == 1)
        let failed = try JSON(parsing: bad.stdout)
        #expect(failed["passed"] == .bool(false))
        #expect(failed["outputs"]?.arrayValue?.first?["failing"] == .number(1))
        #expect(failed["outputs"]?.arrayValue?.first?["worst_index"] == .array([.number(1), .number(3)]))
    }

    @Test("a .h5 that makes libhdf5 crash is one error line, not a crash (HDF5 runs in a child kconv)")
    func hdf5CrashIsolated() throws {
        // One byte of an object header in conv1d_lstm's model.h5 set to 0x5B: Debian 12's libhdf5 1.10.8
        // dereferences a bad pointer reading it (found by random byte flips).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: KConvRun.caseFile("conv1d_lstm/model.h5")))
        bytes[901] = 0x5B
        let path = temporaryFile("damaged.h5")
        try bytes.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = temporaryFile("out.npy")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let run = try KConvRun(["predict", path, "--input", KConvRun.caseFile("conv1d_lstm/input_0.npy"), "--output", output])
        // Whatever a libhdf5 release makes of the byte: never a signal, never a crash report.
        #expect(run.status == 0 || run.status == 2, "status \(run.status): \(run.stderr)")
        #expect(run.stderrLines.count <= 1, "\(run.stderr)")
        if run.status == 2 { #expect(run.stderr.hasPrefix("error: \(path): "), "\(run.stderr)") }
    }

    @Test("summary prints Keras' table and totals")
    func summaryText() throws {
        let run = try KConvRun(["summary", KConvRun.caseFile("td_lstm/model.h5")])
        #expect(run.status == 0)
        // 2398 parameters: the user's document and Keras' own count; 2398 float32 = 9592 bytes = 9.37 KB.
        #expect(run.stdout.contains("Total params: 2398 (9.37 KB)"))
        #expect(run.stdout.contains(" time_distributed (TimeDist  (None, 2, 40, 12)"))
        #expect(run.stdout.contains("(None, 2, 40, 12)"))
    }

    @Test("summary --json of a JSON architecture without weights")
    func summaryJSONArchitectureOnly() throws {
        let run = try KConvRun(["summary", KConvRun.caseFile("conv1d_lstm_json/model.json"), "--json"])
        #expect(run.status == 0)
        let ours = try JSON(parsing: run.stdout)
        let keras = try JSON(parsing: Data(contentsOf: URL(fileURLWithPath: KConvRun.caseFile("conv1d_lstm_json/summary.json"))))
        #expect(ours["total_params"] == keras["total_params"])
        #expect(ours["layers"]?.arrayValue?.count == keras["layers"]?.arrayValue?.count)
    }

    @Test("a JSON architecture without --weights is refused wherever outputs are computed", arguments: [
        ["predict", "--input", KConvRun.caseFile("conv1d_lstm_json/input_0.npy"), "--output", "/tmp/kconv-unused.npy"],
        ["verify", "--input", KConvRun.caseFile("conv1d_lstm_json/input_0.npy"),
         "--expected", KConvRun.caseFile("conv1d_lstm_json/expected_0.npy")],
        ["bench", "--batch", "1", "--iterations", "1"],
        ["import", "-o", "/tmp/kconv-unused.kconv", "--self-test"],
    ])
    func architectureWithoutWeights(_ arguments: [String]) throws {
        // Without the check these ran on all-zero weights and exited 0.
        let json = KConvRun.caseFile("conv1d_lstm_json/model.json")
        let run = try KConvRun([arguments[0], json] + arguments.dropFirst())
        #expect(run.status == 2, "\(arguments[0]): status \(run.status), stdout \(run.stdout)")
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains(json) && run.stderr.contains("--weights"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test("predict writes Keras' outputs")
    func predict() throws {
        let out = temporaryFile("y.npy")
        let run = try KConvRun(["predict", KConvRun.caseFile("conv1d_lstm/model.h5"),
                                "--input", KConvRun.caseFile("conv1d_lstm/input_0.npy"), "--output", out])
        #expect(run.status == 0, "\(run.stderr)")
        let ours = try Npy.read(URL(fileURLWithPath: out))
        let keras = try Npy.read(URL(fileURLWithPath: KConvRun.caseFile("conv1d_lstm/expected_0.npy")))
        #expect(try Comparison(ours: ours, expected: keras, tolerance: 1e-5).passed)
    }

    @Test("verify: 0 on a match, 1 on a mismatch")
    func verifyStatuses() throws {
        let args = ["verify", KConvRun.caseFile("stacked_lstm_reshape/model.h5"),
                    "--input", KConvRun.caseFile("stacked_lstm_reshape/input_0.npy")]
        let pass = try KConvRun(args + ["--expected", KConvRun.caseFile("stacked_lstm_reshape/expected_0.npy")])
        #expect(pass.status == 0, "\(pass.stdout)\(pass.stderr)")
        #expect(pass.stdout.contains("max abs"))
        #expect(pass.stdout.contains("ULP"))

        // The same reference with one element moved by 0.01: verify must report the mismatch there.
        var wrong = try Npy.read(URL(fileURLWithPath: KConvRun.caseFile("stacked_lstm_reshape/expected_0.npy")))
        wrong.scalars[3] += 0.01
        let wrongPath = temporaryFile("wrong.npy")
        try Npy.write(wrong, to: URL(fileURLWithPath: wrongPath))
        let fail = try KConvRun(args + ["--expected", wrongPath])
        #expect(fail.status == 1)
        #expect(fail.stdout.contains("FAIL"))
        #expect(fail.stdout.contains("[0, 1, 1]"), "\(fail.stdout)")   // element 3 of shape (2, 10, 2)
    }

    @Test("bad files: one error line on stderr, exit 2", arguments: [
        ["summary", "/nonexistent.h5"],
        ["summary", KConvRun.caseFile("conv1d_lstm_json/weights.h5")],
        ["summary", KConvRun.caseFile("conv1d_lstm/input_0.npy")],
        ["summary", KConvRun.caseFile("conv1d_lstm/model.h5"), "--weights", "w.h5"],
        ["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--input", KConvRun.caseFile("td_lstm/input_0.npy"), "--output", "/tmp/kconv-unused.npy"],
        ["verify", KConvRun.caseFile("conv1d_lstm/model.h5"), "--input", "/nonexistent.npy", "--expected", KConvRun.caseFile("conv1d_lstm/expected_0.npy")],
    ])
    func cleanFailures(_ arguments: [String]) throws {
        let run = try KConvRun(arguments)
        #expect(run.status == 2, "\(arguments): status \(run.status), stderr \(run.stderr)")
        #expect(run.stderrLines.count == 1, "\(arguments): \(run.stderr)")
        #expect(!run.stderr.contains("HDF5-DIAG"))
        #expect(run.stderr.hasPrefix("error: "))
    }

    @Test("usage errors (unknown option or command, missing or malformed argument): exit 64 with the subcommand's usage", arguments: [
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--output", "/tmp/kconv-unused.npy"], "Error: give the inputs: --input X.npy (one per model input) or --csv FILE", "Usage: kconv predict"),
        (["verify", KConvRun.caseFile("conv1d_lstm/model.h5"), "--tolerance", "abc"], "Error: The value 'abc' is invalid for '--tolerance <tolerance>'", "Usage: kconv verify"),
        (["frobnicate"], "Error: Unexpected argument 'frobnicate'", "Usage: kconv <subcommand>"),
        (["summary", KConvRun.caseFile("conv1d_lstm/model.h5"), "--frobnicate"], "Error: Unknown option '--frobnicate'", "Usage: kconv summary"),
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--csv", "x.csv", "--batch-size", "0"], "Error: --batch-size must be at least 1", "Usage: kconv predict"),
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--csv", "x.csv", "--columns", "3-1"], "Error: --columns: '3-1' is not a column selection: the range 3-1 runs backwards", "Usage: kconv predict"),
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--csv", "x.csv", "--delimiter", "ab"], "Error: --delimiter must be one character or 'tab' (got 'ab')", "Usage: kconv predict"),
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--input", "x.npy", "--window", "3"], "Error: --columns, --window, --hop, --header/--no-header and --delimiter go with --csv", "Usage: kconv predict"),
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--input", "x.npy", "--csv", "x.csv"], "Error: give either --csv or --input, not both", "Usage: kconv predict"),
        (["score", KConvRun.caseFile("conv1d_lstm/model.h5")], "Error: give the samples: --csv FILE or --input X.npy", "Usage: kconv score"),
        (["import", KConvRun.caseFile("conv1d_lstm/model.h5")], "Error: Missing expected argument '--output <output>'", "Usage: kconv import"),
    ])
    func usageErrors(_ arguments: [String], message: String, usage: String) throws {
        let run = try KConvRun(arguments)
        #expect(run.status == 64, "\(arguments): status \(run.status), stderr \(run.stderr)")
        #expect(run.stderr.hasPrefix(message), "\(arguments): \(run.stderr)")
        #expect(run.stderr.contains(usage), "\(arguments): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kconv-unused.npy"))
    }

    @Test("--version prints the version and exits 0")
    func version() throws {
        let run = try KConvRun(["--version"])
        #expect(run.status == 0 && run.stdout == "kconv 0.1.0 (writes .kconv format version 1)\n")
    }

    @Test("a truncated .h5 fails cleanly")
    func truncatedFile() throws {
        let full = try Data(contentsOf: URL(fileURLWithPath: KConvRun.caseFile("cnn_lstm/model.h5")))
        let path = temporaryFile("half.h5")
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: path))
        let run = try KConvRun(["summary", path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1)
        #expect(run.stderr.contains(path))
        #expect(!run.stderr.contains("HDF5-DIAG"))
    }
}

@Suite("kconv bench and --threads")
struct BenchCommandTests {
    @Test("bench --json --layers reports latencies, the kernel path and each layer's multiply-adds")
    func benchJSON() throws {
        let run = try KConvRun(["bench", KConvRun.caseFile("conv1d_lstm/model.h5"), "--batch", "2", "--iterations", "3",
                                "--threads", "1", "--layers", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSON(parsing: run.stdout)
        #expect(["avx512", "avx2", "neon", "portable"].contains(report["kernels"]?.stringValue ?? ""))
        #expect(report["threads"] == .number(1))
        #expect((report["peak_rss_mb"]?.doubleValue ?? 0) > 0 && (report["first_prediction_ms"]?.doubleValue ?? 0) > 0)
        let batch = try #require(report["runs"]?.arrayValue?.first)
        #expect((batch["p90_ms"]?.doubleValue ?? 0) >= (batch["median_ms"]?.doubleValue ?? .infinity))
        // Per sample: Conv1D(32, 3) on (100, 1): 98·3·1·32 = 9408; LSTM(128) over 49 steps of 32
        // features: 49·(32 + 128)·4·128 = 4014080; Dense(8) on 128: 1024. Two samples.
        let layers = try #require(batch["layers"]?.arrayValue)
        let counts: [Double] = layers.map { $0["multiply_adds"]?.doubleValue ?? -1 }
        let conv: Double = 98 * 3 * 1 * 32, lstm: Double = 49 * (32 + 128) * 4 * 128, dense: Double = 128 * 8
        #expect(counts == [2 * conv, 0, 2 * lstm, 2 * dense])
        #expect(batch["multiply_adds"]?.doubleValue == 2 * (conv + lstm + dense))
    }

    @Test("a model that fixes its batch size (stateful, batch_input_shape (2, None, 3)) is predicted in batches of that size")
    func fixedBatchSize() throws {
        let model = KConvRun.caseFile("ops_stream/model.h5")
        let two = try Npy.read(URL(fileURLWithPath: KConvRun.caseFile("ops_stream/input_0.npy")))
        let four = temporaryFile("four.npy"), outTwo = temporaryFile("two-out.npy"), outFour = temporaryFile("four-out.npy")
        defer { for p in [four, outTwo, outFour] { try? FileManager.default.removeItem(atPath: p) } }
        try Npy.write(try Tensor(concatenatingBatches: [two, two]), to: URL(fileURLWithPath: four))
        let single = try KConvRun(["predict", model, "--input", KConvRun.caseFile("ops_stream/input_0.npy"), "--output", outTwo, "--output", temporaryFile("unused-1.npy")])
        #expect(single.status == 0, "\(single.stderr)")
        let double = try KConvRun(["predict", model, "--input", four, "--output", outFour, "--output", temporaryFile("unused-2.npy")])
        #expect(double.status == 0, "\(double.stderr)")
        // Each batch of 2 starts from zero states, so the 4 samples give the 2 samples' outputs twice.
        let a = try Npy.read(URL(fileURLWithPath: outTwo)), b = try Npy.read(URL(fileURLWithPath: outFour))
        #expect(b == (try Tensor(concatenatingBatches: [a, a])))
    }

    @Test("predict gives the same bytes with one thread and with two; --threads 0 is a usage error (64)")
    func threadsOption() throws {
        var outputs: [Data] = []
        for threads in ["1", "2"] {
            let out = temporaryFile("y\(threads).npy")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let run = try KConvRun(["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--threads", threads,
                                    "--input", KConvRun.caseFile("cnn_lstm/input_0.npy"), "--output", out])
            #expect(run.status == 0, "\(run.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(outputs[0] == outputs[1])
        let refused = try KConvRun(["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--threads", "0",
                                    "--input", KConvRun.caseFile("cnn_lstm/input_0.npy"), "--output", "/tmp/kconv-unused.npy"])
        #expect(refused.status == 64 && refused.stderr.contains("--threads"), "\(refused.stderr)")
    }
}
