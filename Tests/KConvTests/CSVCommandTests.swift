import Foundation
import Testing
import TestSupport
import KerasRuntime

/// `Tests/Fixtures/csv`: CSVs with the windows numpy cuts from them, scikit-learn scalers, Keras'
/// outputs and numpy's reconstruction errors (Tools/fixtures/make_csv_fixtures.py).
private func fixture(_ name: String) -> String { Repository.fixtures("csv").appendingPathComponent(name).path }
private let emgCSV = Repository.root.appendingPathComponent("Examples/EMGClassifier/Sources/EMGClassifier/Resources/emg.csv").path

private func read(_ path: String) throws -> Tensor { try Npy.read(URL(fileURLWithPath: path)) }
private func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

/// The data lines of a CSV text, split into fields (the header dropped).
private func table(_ text: String) -> (header: [String], rows: [[String]]) {
    let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    return (lines.first ?? [], Array(lines.dropFirst()))
}

@Suite("kconv predict and score on CSV")
struct CSVCommandTests {
    /// (case, CSV, CSV options, numpy's windows of it)
    static let seeds: [(String, String, [String], String)] = [
        ("cnn_lstm", emgCSV, ["--columns", "0-7", "--window", "50"], "emg_windows.npy"),
        ("lstm_autoencoder", fixture("series.csv"), ["--columns", "1-2", "--hop", "1"], "series_windows.npy"),
        ("conv1d_lstm", fixture("signal.csv"), ["--hop", "60", "--no-header"], "signal_windows.npy"),
    ]

    @Test("seed models: the CSV and numpy's windows of it give bit-identical predictions, in .npy, CSV and JSON lines", arguments: 0..<3)
    func csvMatchesNumpy(_ index: Int) throws {
        let (name, csv, options, windows) = Self.seeds[index]
        let model = KConvRun.caseFile("\(name)/model.h5")
        let dir = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fromCSV = dir.appendingPathComponent("csv.npy").path, fromNpy = dir.appendingPathComponent("npy.npy").path
        let a = try KConvRun(["predict", model, "--csv", csv, "--output", fromCSV, "--batch-size", "2"] + options)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try KConvRun(["predict", model, "--input", fixture(windows), "--output", fromNpy])
        #expect(b.status == 0, "\(b.stderr)")
        let x = try read(fromCSV), y = try read(fromNpy)
        #expect(x.shape == y.shape && bits(x) == bits(y), "\(name)")
        // np.save's bytes: the streamed header states the final count.
        #expect(try Data(contentsOf: URL(fileURLWithPath: fromCSV)) == Data(contentsOf: URL(fileURLWithPath: fromNpy)))

        // The same values as text: shortest round-trip decimals, one row per sample naming its rows.
        let text = try KConvRun(["predict", model, "--csv", csv, "--output", "-"] + options)
        #expect(text.status == 0)
        let (header, rows) = table(text.stdout)
        #expect(header.prefix(2) == ["first_row", "last_row"] && header[2].hasPrefix("y0"))
        let width = x.count / x.shape[0]
        #expect(rows.count == x.shape[0])
        for (s, row) in rows.enumerated() {
            #expect(row.dropFirst(2).map { Float($0)!.bitPattern } == x.scalars[(s * width)..<((s + 1) * width)].map(\.bitPattern))
        }
        let jsonl = try KConvRun(["predict", model, "--csv", csv, "--format", "jsonl"] + options)
        let lines = jsonl.stdout.split(separator: "\n")
        #expect(lines.count == x.shape[0])
        let first = try JSON(parsing: String(lines[0]))
        #expect(first["first_row"] == .number(0) && first["output"]?.arrayValue?.count == width)
    }

    @Test("rows that do not fill a last sample are reported and left out")
    func leftOver() throws {
        let run = try KConvRun(["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--csv", fixture("signal.csv"), "--hop", "60"])
        #expect(run.status == 0)
        #expect(run.stderr == "note: \(fixture("signal.csv")): the last 30 rows (rows 220-249) do not fill a sample of 100 rows; left out\n")
        #expect(table(run.stdout).rows.map { Array($0.prefix(2)) } == [["0", "99"], ["60", "159"], ["120", "219"]])
    }

    @Test("CSV from standard input, .npy from standard input, .npy to standard output")
    func standardStreams() throws {
        let model = KConvRun.caseFile("lstm_autoencoder/model.h5")
        let csv = try Data(contentsOf: URL(fileURLWithPath: fixture("series.csv")))
        let fromStdin = try KConvRun(["predict", model, "--csv", "-", "--columns", "1-2", "--hop", "1", "--output", "-", "--format", "npy"], stdin: csv)
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        let viaStdin = try Npy.read(data: fromStdin.stdoutData, name: "stdout")
        let npy = try Data(contentsOf: URL(fileURLWithPath: fixture("series_windows.npy")))
        let npyStdin = try KConvRun(["predict", model, "--input", "-", "--output", "/dev/stdout"], stdin: npy)
        #expect(npyStdin.status == 0, "\(npyStdin.stderr)")
        let keras = try read(fixture("series_expected.npy"))
        let ours = try Npy.read(data: npyStdin.stdoutData, name: "stdout")
        #expect(bits(viaStdin) == bits(ours))
        #expect(try Comparison(ours: ours, expected: keras, tolerance: 1e-5).passed)
    }

    @Test("labels: a softmax output is the label and probability of Keras' argmax, with every class's on request")
    func labels() throws {
        let dir = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kconv = dir.appendingPathComponent("signal.kconv").path
        let imported = try KConvRun(["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", kconv, "--labels", fixture("signal_labels.txt")])
        #expect(imported.status == 0, "\(imported.stderr)")
        let labels = try KerasModel(contentsOf: URL(fileURLWithPath: kconv)).labels
        #expect(labels == ["rest", "fist", "open", "pinch", "point", "wave in", "wave out", "thumb, up"])
        let run = try KConvRun(["predict", kconv, "--csv", fixture("signal.csv"), "--hop", "60", "--probabilities"])
        #expect(run.status == 0)
        let keras = try read(fixture("signal_expected.npy"))
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first == "first_row,last_row,label,probability,rest,fist,open,pinch,point,wave in,wave out,\"thumb, up\"")
        #expect(lines.count == 4)
        for s in 0..<3 {
            let p = Array(keras.scalars[(s * 8)..<((s + 1) * 8)])
            let best = p.indices.max { p[$0] < p[$1] }!
            let label = labels![best].contains(",") ? "\"\(labels![best])\"" : labels![best]
            #expect(lines[s + 1].hasPrefix("\(s * 60),\(s * 60 + 99),\(label),"), "\(lines[s + 1])")
            let probability = Float(String(lines[s + 1].dropFirst("\(s * 60),\(s * 60 + 99),\(label),".count).split(separator: ",")[0]))!
            #expect(abs(probability - p[best]) <= 1e-5)
        }
        let jsonl = try KConvRun(["predict", kconv, "--csv", fixture("signal.csv"), "--hop", "60", "--format", "jsonl"])
        let first = try JSON(parsing: String(jsonl.stdout.split(separator: "\n")[0]))
        #expect(first["label"]?.stringValue != nil && first["probabilities"] == nil)
    }

    @Test("the stored scaler: predict --csv equals the model on scikit-learn's transform of the rows, bit for bit")
    func storedScaler() throws {
        let dir = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kconv = dir.appendingPathComponent("emg.kconv").path
        #expect(try KConvRun(["import", KConvRun.caseFile("cnn_lstm/model.h5"), "-o", kconv, "--scaler", fixture("emg_standard.json")]).status == 0)
        #expect(try KerasModel(contentsOf: URL(fileURLWithPath: kconv)).scaler == InputScaler(contentsOf: URL(fileURLWithPath: fixture("emg_standard.json"))))
        let a = dir.appendingPathComponent("a.npy").path, b = dir.appendingPathComponent("b.npy").path
        #expect(try KConvRun(["predict", kconv, "--csv", emgCSV, "--output", a]).status == 0)
        #expect(try KConvRun(["predict", kconv, "--input", fixture("emg_standard_windows.npy"), "--output", b]).status == 0)
        #expect(bits(try read(a)) == bits(try read(b)))
        // Re-importing the .kconv keeps the scaler.
        let again = dir.appendingPathComponent("again.kconv").path
        #expect(try KConvRun(["import", kconv, "-o", again]).status == 0)
        #expect(try KerasModel(contentsOf: URL(fileURLWithPath: again)).scaler != nil)
    }

    @Test("score: per-sample MSE and MAE equal numpy's on Keras' outputs; the stored threshold flags anomalies", arguments: [false, true])
    func score(scaled: Bool) throws {
        let dir = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var model = KConvRun.caseFile("lstm_autoencoder/model.h5")
        if scaled {
            model = dir.appendingPathComponent("ae.kconv").path
            let run = try KConvRun(["import", KConvRun.caseFile("lstm_autoencoder/model.h5"), "-o", model,
                                    "--scaler", fixture("series_minmax.json"), "--threshold", "0.01"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try KerasModel(contentsOf: URL(fileURLWithPath: model)).anomalyThreshold == 0.01)
        }
        let reference = try read(fixture(scaled ? "series_minmax_errors.npy" : "series_errors.npy"))  // (10, 2) mse, mae
        let run = try KConvRun(["score", model, "--csv", fixture("series.csv"), "--columns", "1-2", "--hop", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let (header, rows) = table(run.stdout)
        #expect(header == ["first_row", "last_row", "mse", "mae"] + (scaled ? ["anomaly"] : []))
        #expect(rows.count == 10)
        var flagged = 0
        for (s, row) in rows.enumerated() {
            #expect(row[0] == "\(s)" && row[1] == "\(s + 2)")
            for k in 0..<2 {
                let ours = Double(row[2 + k])!, numpy = Double(reference.scalars[s * 2 + k])
                #expect(abs(ours - numpy) <= 1e-6 * abs(numpy), "sample \(s) \(header[2 + k]): \(ours) vs \(numpy)")
            }
            if scaled {
                let expected = Double(reference.scalars[s * 2]) > 0.01
                #expect(row[4] == (expected ? "1" : "0"))
                if expected { flagged += 1 }
            }
        }
        if scaled {
            #expect(run.stderr.hasPrefix("scored 10 samples: \(flagged) anomalies, \(10 - flagged) normal (MSE > 0.01)"), "\(run.stderr)")
            // --threshold overrides the stored one.
            let strict = try KConvRun(["score", model, "--csv", fixture("series.csv"), "--columns", "1-2", "--hop", "1", "--threshold", "1000", "--format", "jsonl"])
            #expect(strict.stderr.hasPrefix("scored 10 samples: 0 anomalies, 10 normal (MSE > 1000.0)"), "\(strict.stderr)")
            #expect(try JSON(parsing: String(strict.stdout.split(separator: "\n")[0]))["anomaly"] == .bool(false))
        } else {
            #expect(run.stderr.hasPrefix("scored 10 samples; highest MSE"), "\(run.stderr)")
        }
    }

    @Test("score on a .npy: one row per sample, the same errors as from the CSV")
    func scoreArrays() throws {
        let model = KConvRun.caseFile("lstm_autoencoder/model.h5")
        let fromNpy = try KConvRun(["score", model, "--input", fixture("series_windows.npy"), "--threshold", "0.01"])
        let fromCSV = try KConvRun(["score", model, "--csv", fixture("series.csv"), "--columns", "1-2", "--hop", "1", "--threshold", "0.01"])
        #expect(fromNpy.status == 0 && fromCSV.status == 0)
        let (header, rows) = table(fromNpy.stdout), csvRows = table(fromCSV.stdout).rows
        #expect(header == ["sample", "mse", "mae", "anomaly"])
        #expect(rows.map { Array($0.dropFirst()) } == csvRows.map { Array($0.dropFirst(2)) })
        #expect(rows.map(\.first) == (0..<10).map { "\($0)" })
        #expect(fromNpy.stderr.replacingOccurrences(of: "sample 9", with: "rows 9-11") == fromCSV.stderr)
        // --metric mae: the threshold applies to the MAE.
        let reference = try read(fixture("series_errors.npy"))
        let byMAE = try KConvRun(["score", model, "--input", fixture("series_windows.npy"), "--threshold", "0.1", "--metric", "mae"])
        let expected = (0..<10).filter { Double(reference.scalars[$0 * 2 + 1]) > 0.1 }.count
        #expect(byMAE.stderr.hasPrefix("scored 10 samples: \(expected) anomal"), "\(byMAE.stderr)")
        #expect(byMAE.stderr.contains("(MAE > 0.1); highest MAE"))
        #expect(table(byMAE.stdout).rows.filter { $0.last == "1" }.count == expected)
    }

    @Test("--batch-size does not change the predictions")
    func batchSizes() throws {
        let model = KConvRun.caseFile("lstm_autoencoder/model.h5")
        let args = ["predict", model, "--csv", fixture("series.csv"), "--columns", "1-2", "--hop", "1", "--format", "csv"]
        let one = try KConvRun(args + ["--batch-size", "1"]), many = try KConvRun(args + ["--batch-size", "7"]), usual = try KConvRun(args)
        #expect(one.status == 0 && one.stdout == many.stdout && one.stdout == usual.stdout)
    }

    @Test("refusals: one error line naming the file and the problem, exit 2", arguments: [
        (["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--csv", emgCSV, "--columns", "0-4"],
         "error: \(emgCSV): model input (None, 4, 50, 8, 1) takes 8 values per row (its feature axis); the CSV gives 5 per row (choose them with --columns)"),
        (["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--csv", fixture("series.csv")],
         "error: \(fixture("series.csv")): model input (None, 4, 50, 8, 1) takes 8 values per row (its feature axis); the CSV gives 3 per row (choose them with --columns)"),
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--csv", fixture("series.csv"), "--columns", "1"],
         "error: \(fixture("series.csv")): has 12 data rows of 1 value; model input (None, 100, 1) needs 100 rows for one sample (100 rows × 1 value)"),
        (["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--csv", emgCSV, "--window", "40"],
         "error: \(emgCSV): model input (None, 4, 50, 8, 1) takes windows of 50 rows; --window 40 does not fit (omit --window, or give 50)"),
        (["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--csv", emgCSV, "--columns", "0-8"],
         "error: \(emgCSV): has 8 columns (0-7); column 8 is selected"),
        (["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--csv", emgCSV, "--no-header"],
         "error: \(emgCSV): line 1, column 0: 'ch0' is not a number"),
        (["predict", KConvRun.caseFile("functional_two_inputs/model.h5"), "--csv", emgCSV],
         "error: \(KConvRun.caseFile("functional_two_inputs/model.h5")): --csv feeds a model with one input; this one has 2 (a (None, 10, 3), b (None, 5)): give one --input .npy each"),
        (["predict", KConvRun.caseFile("functional_two_inputs/model.h5"), "--input", KConvRun.caseFile("functional_two_inputs/input_0.npy"),
          "--input", KConvRun.caseFile("functional_two_inputs/input_1.npy"), "--format", "csv"],
         "error: \(KConvRun.caseFile("functional_two_inputs/model.h5")): --format csv writes one output; the model has 2 (a_out, b_out): use --format npy with one --output each"),
        (["score", KConvRun.caseFile("conv1d_lstm/model.h5"), "--csv", fixture("signal.csv")],
         "error: \(KConvRun.caseFile("conv1d_lstm/model.h5")): score needs a model whose output has its input's shape (an autoencoder); this one maps conv1d_input (None, 100, 1) to dense (None, 8)"),
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--csv", "/nonexistent.csv"], "error: /nonexistent.csv: no such file"),
        (["predict", KConvRun.caseFile("conv1d_lstm/model.h5"), "--csv", fixture("signal.csv"), "--output", "/tmp"], "error: /tmp: cannot write: is a directory"),
        (["import", KConvRun.caseFile("conv1d_lstm/model.h5"), "-o", "/tmp/kconv-unused.kconv", "--labels", fixture("series.csv")],
         "error: \(fixture("series.csv")): 13 labels for the model's output (None, 8), which has 8 classes"),
        (["import", KConvRun.caseFile("cnn_lstm/model.h5"), "-o", "/tmp/kconv-unused.kconv", "--scaler", fixture("series_minmax.json")],
         "error: \(fixture("series_minmax.json")): a scaler fitted on 2 features for the model's input (None, 4, 50, 8, 1), which takes 8 per row"),
        (["import", KConvRun.caseFile("cnn_lstm/model.h5"), "-o", "/tmp/kconv-unused.kconv", "--scaler", fixture("signal_labels.txt")],
         "error: \(fixture("signal_labels.txt")): is not a scaler JSON: "),
    ])
    func refusals(_ arguments: [String], message: String) throws {
        let run = try KConvRun(arguments)
        #expect(run.status == 2, "\(arguments): status \(run.status), stderr \(run.stderr)")
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        #expect(run.stderr.hasPrefix(message), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kconv-unused.kconv"))
    }
}

@Suite("kconv writes safely")
struct SafeWriteTests {
    @Test("an output that is an input or the source model is refused, naming both; nothing is changed")
    func outputIsInput() throws {
        let dir = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("copy.h5").path, input = dir.appendingPathComponent("x.npy").path
        try FileManager.default.copyItem(atPath: KConvRun.caseFile("conv1d_lstm/model.h5"), toPath: model)
        try FileManager.default.copyItem(atPath: fixture("signal_windows.npy"), toPath: input)
        let csv = dir.appendingPathComponent("s.csv").path
        try FileManager.default.copyItem(atPath: fixture("signal.csv"), toPath: csv)
        let link = dir.appendingPathComponent("link.npy").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: input)
        let before = try [model, input, csv].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let cases: [([String], String)] = [
            (["import", model, "-o", model], "error: \(model): is the source model '\(model)': refusing to write over an input; choose another output file"),
            (["import", model, "-o", input, "--test-input", input, "--test-output", KConvRun.caseFile("conv1d_lstm/expected_0.npy")],
             "error: \(input): is the test input '\(input)': refusing to write over an input"),
            (["predict", model, "--input", input, "--output", link], "error: \(link): is the input '\(input)': refusing to write over an input"),
            (["predict", model, "--input", input, "--output", model], "error: \(model): is the model '\(model)': refusing"),
            (["predict", model, "--csv", csv, "--output", csv], "error: \(csv): is the CSV input '\(csv)': refusing"),
            (["score", model, "--csv", csv, "--output", csv], "error: \(csv): is the CSV input '\(csv)': refusing"),
            (["predict", KConvRun.caseFile("functional_two_inputs/model.h5"), "--input", KConvRun.caseFile("functional_two_inputs/input_0.npy"),
              "--input", KConvRun.caseFile("functional_two_inputs/input_1.npy"), "--output", dir.appendingPathComponent("y.npy").path,
              "--output", dir.appendingPathComponent("./y.npy").path],
             "error: \(dir.appendingPathComponent("./y.npy").path): is given as more than one output: give each output its own file"),
        ]
        for (arguments, message) in cases {
            let run = try KConvRun(arguments)
            #expect(run.status == 2 && run.stderrLines.count == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.hasPrefix(message), "\(run.stderr)")
        }
        #expect(try [model, input, csv].map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == input)
    }

    @Test("/dev/stdout is written, not replaced; a regular file is replaced atomically and keeps its permissions")
    func specialAndRegularFiles() throws {
        let model = KConvRun.caseFile("lstm_autoencoder/model.h5")
        let args = ["--csv", fixture("series.csv"), "--columns", "1-2", "--hop", "1"]
        let viaDevice = try KConvRun(["predict", model, "--output", "/dev/stdout", "--format", "csv"] + args)
        #expect(viaDevice.status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/dev/stdout") == "/proc/self/fd/1")
        let viaDash = try KConvRun(["predict", model] + args)
        #expect(viaDevice.stdout == viaDash.stdout)
        // A character device is written to, never replaced.
        let toNull = try KConvRun(["predict", model, "--output", "/dev/null", "--format", "npy"] + args)
        #expect(toNull.status == 0 && toNull.stdout.isEmpty)
        #expect(try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType == .typeCharacterSpecial)

        let dir = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.csv").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: out))
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: out)
        let inode = try FileManager.default.attributesOfItem(atPath: out)[.systemFileNumber] as? Int
        #expect(try KConvRun(["predict", model, "--output", out] + args).status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: out)
        #expect(attributes[.systemFileNumber] as? Int != inode, "replaced by rename, not rewritten in place")
        #expect(attributes[.posixPermissions] as? Int == 0o640)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == viaDevice.stdout)

        // A CSV that fails after the first batch: the old file stays whole, no temporary file is left.
        let bad = dir.appendingPathComponent("bad.csv").path
        try (String(contentsOfFile: fixture("series.csv"), encoding: .utf8) + "12.0,1.3,oops\n").write(toFile: bad, atomically: true, encoding: .utf8)
        let failed = try KConvRun(["predict", model, "--csv", bad, "--columns", "1-2", "--hop", "1", "--batch-size", "2", "--output", out])
        #expect(failed.status == 2 && failed.stderr == "error: \(bad): line 14, column 2: 'oops' is not a number\n")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == viaDevice.stdout)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["bad.csv", "out.csv"])
    }

    @Test("a command stopped by SIGTERM removes its unfinished output and leaves the old file whole")
    func interrupted() throws {
        let dir = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 100 samples of the CNN+LSTM: seconds of work, stopped as soon as the output is opened.
        let rows = try String(contentsOfFile: emgCSV, encoding: .utf8).split(separator: "\n").dropFirst()
        let csv = dir.appendingPathComponent("long.csv").path
        try (Array(repeating: rows.joined(separator: "\n"), count: 50).joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.csv").path
        try "old\n".write(toFile: out, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = KConvRun.binary
        process.arguments = ["predict", KConvRun.caseFile("cnn_lstm/model.h5"), "--csv", csv, "--batch-size", "1", "--output", out]
        process.standardError = FileHandle.nullDevice
        try process.run()
        var waited = 0
        func temporaryFiles() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".tmp") } }
        while temporaryFiles().isEmpty && process.isRunning && waited < 600 {
            Thread.sleep(forTimeInterval: 0.05)
            waited += 1
        }
        #expect(temporaryFiles().count == 1 && process.isRunning, "the output is written to a temporary file")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM, "it ends by the signal it got")
        #expect(temporaryFiles().isEmpty)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "old\n")
    }
}
