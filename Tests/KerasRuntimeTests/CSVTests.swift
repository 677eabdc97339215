import Foundation
import Testing
import TestSupport
@testable import KerasRuntime

/// The CSVs, numpy windows and scikit-learn scalers of `Tools/fixtures/make_csv_fixtures.py`.
private let csvFixtures = Repository.fixtures("csv")
private let emgCSV = Repository.root.appendingPathComponent("Examples/EMGClassifier/Sources/EMGClassifier/Resources/emg.csv")

private func fixture(_ name: String) -> URL { csvFixtures.appendingPathComponent(name) }

/// The KerasError `body` throws, or nil (recording an issue) when it returns.
private func csvError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> KerasError? {
    do {
        let value = try body()
        Issue.record("expected an error, got \(value)", sourceLocation: sourceLocation)
    } catch let error as KerasError {
        return error
    } catch {
        Issue.record("expected a KerasError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

private func rows(_ text: String, _ options: CSVOptions, chunk: Int? = nil) throws -> [[Double]] {
    let bytes = Array(text.utf8)
    var reader: CSVReader
    if let chunk {
        var offset = 0
        reader = CSVReader(options: options, name: "t.csv") {
            guard offset < bytes.count else { return nil }
            defer { offset += chunk }
            return Array(bytes[offset..<min(bytes.count, offset + chunk)])
        }
    } else {
        reader = CSVReader(bytes: bytes, options: options, name: "t.csv")
    }
    var out: [[Double]] = []
    while let row = try reader.nextRow() { out.append(row) }
    return out
}

/// All samples of a CSV, cut as `kconv predict --csv` cuts them, in one tensor.
private func samples(_ url: URL, _ options: CSVOptions, inputShape: [Int?], window: Int? = nil, hop: Int? = nil,
                     scaler: InputScaler? = nil, batch: Int = 3) throws -> (Tensor, [Int], CSVSampleReader) {
    var reader = try CSVSampleReader(CSVReader(contentsOf: url, options: options), inputShape: inputShape, window: window, hop: hop, scaler: scaler)
    var scalars: [Float] = [], firstRows: [Int] = [], count = 0
    while let b = try reader.nextBatch(maxSamples: batch) {
        #expect(b.input.shape.first! <= batch)
        scalars += b.input.scalars
        firstRows += b.firstRows
        count += b.input.shape.first!
    }
    return (try Tensor(shape: [count] + reader.windowing.sampleShape, scalars: scalars), firstRows, reader)
}

private func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

@Suite("CSV reading and windowing")
struct CSVTests {
    @Test("column selections: ranges and lists, 0-based; malformed ones are refused with the reason")
    func columnSelection() throws {
        #expect(try ColumnSelection(parsing: "0-7").indices == Array(0...7))
        #expect(try ColumnSelection(parsing: "3, 0-1,9").indices == [3, 0, 1, 9])
        #expect(try ColumnSelection(parsing: "0-3,6").description == "0-3,6")
        #expect(csvError { try ColumnSelection(parsing: "5-2") }?.message.contains("the range 5-2 runs backwards") == true)
        #expect(csvError { try ColumnSelection(parsing: "a") }?.message.contains("'a' is neither a column number nor a range") == true)
        #expect(csvError { try ColumnSelection(parsing: "-1") }?.message.contains("is neither a column number") == true)
        #expect(csvError { try ColumnSelection(parsing: "1,1") }?.message == "column 1 is selected twice")
        #expect(csvError { try ColumnSelection(parsing: "0-999999") }?.message.contains("more than 65536 columns") == true)
        #expect(csvError { try CSVOptions(delimiter: "1") }?.message.contains("cannot separate numbers") == true)
    }

    @Test("rows: header detected, quotes, CRLF, comments and blank lines, chunked input gives the same rows")
    func reading() throws {
        let text = "\u{FEFF}a;\"b\";c\r\n# comment\n\n 1; \"2.5\" ;-3e-2\r\n4;nan;inf\n7;8;9"
        let options = try CSVOptions(delimiter: ";")
        let expected: [[Double]] = [[1, 2.5, -0.03], [4, .nan, .infinity], [7, 8, 9]]
        for chunk in [nil, 1, 2, 5] {
            let read = try rows(text, options, chunk: chunk)
            #expect(read.count == 3)
            #expect(read.map { $0.map(\.bitPattern) } == expected.map { $0.map(\.bitPattern) }, "chunk \(String(describing: chunk))")
        }
        #expect(try rows("1,2\n3,4\n", CSVOptions()) == [[1, 2], [3, 4]], "no header detected in numbers")
        #expect(try rows("1,2\n3,4\n", CSVOptions(header: .present)) == [[3, 4]])
        #expect(try rows("x,y,z\n1,2,3\n", CSVOptions(columns: ColumnSelection([2, 0]))) == [[3, 1]])
        // Correctly rounded, as numpy reads a float64 column: 1e-320 is the subnormal 2024 × 2^-1074.
        #expect(try rows("0.1\n1e-320\n", CSVOptions()) == [[0.1], [2024 * Double.leastNonzeroMagnitude]])
    }

    @Test("bad rows: one error naming the file, the line and the problem")
    func badRows() throws {
        func message(_ text: String, _ options: CSVOptions = try! CSVOptions()) -> String? {
            csvError { try rows(text, options) }.map(\.description)
        }
        #expect(message("a,b\n1,2\n3\n") == "t.csv: line 3 has 1 field; the first line has 2")
        #expect(message("1,2\n3,x\n") == "t.csv: line 2, column 1: 'x' is not a number")
        #expect(message("1,2\n3,\n") == "t.csv: line 2, column 1: the field is empty")
        #expect(message("a,b\n1,2\n", try CSVOptions(header: .absent)) == "t.csv: line 1, column 0: 'a' is not a number")
        #expect(message("1,2\n", try CSVOptions(columns: ColumnSelection([0, 2]))) == "t.csv: has 2 columns (0-1); column 2 is selected")
        #expect(message("") == "t.csv: has no rows (every line is blank or a # comment)")
        #expect(message("# only a comment\n\n") == "t.csv: has no rows (every line is blank or a # comment)")
        #expect(message("1,\"2\n") == "t.csv: line 1: a quoted field is not closed")
        #expect(message(String(repeating: "1", count: CSVReader.maxLineLength + 2)) == "t.csv: line 1 is longer than 1048576 bytes")
    }

    @Test("cnn_lstm: 4 windows of 50 rows make a sample, bit-identical to numpy's reshape of the same rows")
    func emgWindows() throws {
        let (t, firstRows, reader) = try samples(emgCSV, CSVOptions(columns: ColumnSelection(parsing: "0-7")), inputShape: [nil, 4, 50, 8, 1], window: 50)
        let reference = try Npy.read(fixture("emg_windows.npy"))
        #expect(t.shape == reference.shape && bits(t) == bits(reference))
        #expect(firstRows == [0, 200])
        #expect(reader.rowsLeftOut == 0 && reader.windowing.rowsPerSample == 200)
    }

    @Test("the stored scaler is applied as scikit-learn's transform: StandardScaler and MinMaxScaler, bit for bit")
    func scalers() throws {
        let standard = try InputScaler(contentsOf: fixture("emg_standard.json"))
        #expect(standard.kind == .standard && standard.featureCount == 8)
        let (t, _, _) = try samples(emgCSV, CSVOptions(), inputShape: [nil, 4, 50, 8, 1], scaler: standard)
        #expect(bits(t) == bits(try Npy.read(fixture("emg_standard_windows.npy"))))

        let minMax = try InputScaler(contentsOf: fixture("series_minmax.json"))
        let (s, firstRows, _) = try samples(fixture("series.csv"), CSVOptions(columns: ColumnSelection(parsing: "1-2")), inputShape: [nil, 3, 2], hop: 1, scaler: minMax)
        #expect(bits(s) == bits(try Npy.read(fixture("series_minmax_windows.npy"))))
        #expect(firstRows == Array(0..<10))
        // The JSON round-trips exactly.
        #expect(try InputScaler(json: minMax.json) == minMax && InputScaler(json: standard.json) == standard)
    }

    @Test("lookback windows with hop 1, and hop 60 over windows of 100 rows with the rest left out")
    func lookbackAndHop() throws {
        let (s, _, _) = try samples(fixture("series.csv"), CSVOptions(columns: ColumnSelection(parsing: "1-2")), inputShape: [nil, 3, 2], hop: 1)
        #expect(bits(s) == bits(try Npy.read(fixture("series_windows.npy"))))
        let (t, firstRows, reader) = try samples(fixture("signal.csv"), CSVOptions(header: .absent), inputShape: [nil, 100, 1], hop: 60)
        #expect(bits(t) == bits(try Npy.read(fixture("signal_windows.npy"))))
        #expect(firstRows == [0, 60, 120] && reader.rowsRead == 250 && reader.rowsLeftOut == 30)
        // Hop beyond the window: rows between samples are skipped (250 rows, starts 0 and 130).
        let (u, skipped, _) = try samples(fixture("signal.csv"), CSVOptions(), inputShape: [nil, 100, 1], hop: 130)
        #expect(skipped == [0, 130])
        let all = try rows(String(contentsOf: fixture("signal.csv"), encoding: .utf8), CSVOptions()).map { Float($0[0]) }
        #expect(Array(u.scalars[100..<200]) == Array(all[130..<230]))
    }

    @Test("windowing that cannot fit the model input: one error with what the model needs and what the rows give")
    func windowingRefusals() throws {
        func message(_ shape: [Int?], values: Int, window: Int? = nil, hop: Int? = nil) -> String? {
            csvError { try SampleWindowing(inputShape: shape, valuesPerRow: values, window: window, hop: hop) }?.message
        }
        #expect(message([nil, 4, 50, 8, 1], values: 5) == "model input (None, 4, 50, 8, 1) takes 8 values per row (its feature axis); the CSV gives 5 per row (choose them with --columns)")
        #expect(message([nil, 4, 50, 8, 1], values: 8, window: 40) == "model input (None, 4, 50, 8, 1) takes windows of 50 rows; --window 40 does not fit (omit --window, or give 50)")
        #expect(message([nil, nil, 3], values: 3) == "model input (None, None, 3) has a free time axis: give its length in rows with --window N")
        #expect(message([nil, 3], values: 3, window: 5) == "model input (None, 3) takes one row per sample; --window 5 does not fit (omit --window)")
        #expect(message([nil, nil, nil, 3], values: 3, window: 5) == "model input (None, None, None, 3) has an unknown axis 1 that the rows cannot fill")
        #expect(message([nil, 3], values: 3, hop: 0) == "--hop must be between 1 and 1099511627776 (got 0)")
        #expect(message([nil, 3], values: 3, hop: Int.max) == "--hop must be between 1 and 1099511627776 (got \(Int.max))")
        #expect(message([nil, 1 << 40, 3], values: 3) == "model input (None, 1099511627776, 3) needs more than 67108864 values per sample, or none")
        let free = try SampleWindowing(inputShape: [nil, nil, 3], valuesPerRow: 3, window: 7)
        #expect(free.sampleShape == [7, 3] && free.rowsPerSample == 7 && free.hop == 7)
        #expect(free.sampleCount(rows: 20) == 2 && free.rowsLeftOut(rows: 20) == 6)

        // Too few rows for one sample.
        let short = Array("a,b\n1,2\n3,4\n".utf8)
        var reader = try CSVSampleReader(CSVReader(bytes: short, options: CSVOptions(), name: "short.csv"), inputShape: [nil, 3, 2])
        #expect(csvError { try reader.nextBatch(maxSamples: 4) }?.description == "short.csv: has 2 data rows of 2 values; model input (None, 3, 2) needs 3 rows for one sample (3 rows × 2 values)")
        let headerOnly = CSVReader(bytes: Array("a,b\n".utf8), options: try CSVOptions(), name: "h.csv")
        #expect(csvError { try CSVSampleReader(headerOnly, inputShape: [nil, 2]) }?.description == "h.csv: has a header but no data rows")
        let emg = try CSVReader(contentsOf: emgCSV, options: CSVOptions())
        #expect(csvError { try CSVSampleReader(emg, inputShape: [nil, 4, 50, 8, 1], scaler: try InputScaler(contentsOf: fixture("series_minmax.json"))) }?.message
                == "the model's input scaler was fitted on 2 features; the CSV rows give 8 values")
    }

    @Test("scaler JSON refusals name the problem")
    func scalerRefusals() {
        func message(_ json: String) -> String? { csvError { try InputScaler(json: json, name: "s.json") }?.description }
        #expect(message("[]") == "s.json: is not a scaler JSON: it is not a JSON object")
        #expect(message(#"{"class": "RobustScaler"}"#) == #"s.json: is not a scaler JSON: "class" must be "StandardScaler" or "MinMaxScaler" (got "RobustScaler")"#)
        #expect(message(#"{"class": "MinMaxScaler", "scale_": [1]}"#) == #"s.json: is not a scaler JSON: MinMaxScaler needs "min_""#)
        #expect(message(#"{"class": "StandardScaler", "mean_": [1, 2], "scale_": [1]}"#) == "s.json: is not a scaler JSON: its vectors have different lengths [1, 2]")
        #expect(message(#"{"class": "StandardScaler", "mean_": ["a"]}"#) == #"s.json: is not a scaler JSON: "mean_" must be a non-empty array of finite numbers"#)
        #expect(message(#"{"class": "StandardScaler", "mean_": [1], "var_": [1]}"#) == #"s.json: is not a scaler JSON: unknown key "var_" for StandardScaler (it takes "class", "mean_", "scale_")"#)
    }

    @Test("damaged CSVs (seeded byte edits of small tables): rows or one KerasError, never a trap, whole and in 1-byte chunks")
    func randomBytes() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var batches = 0
        let alphabet = Array("0123456789.,,,;\"\"\n\n\r#-+eEnaif x\t".utf8) + [0xEF, 0xBB, 0xBF, 0x00, 0xFF]
        for round in 0..<4_000 {
            // A CSV of 2 or 3 columns and up to 12 rows, then up to 3 random byte edits.
            let delimiter: Character = round % 5 == 0 ? ";" : ","
            let width = 2 + Int(next() % 2)
            let lines = (0..<Int(next() % 13)).map { _ in (0..<width).map { _ in "\(Int(next() % 2000) - 1000)e-3" }.joined(separator: String(delimiter)) }
            var bytes = Array(((round % 3 == 1 ? "a\(delimiter)b\(delimiter)c\n" : "") + lines.joined(separator: "\n")).utf8)
            for _ in 0..<Int(next() % 4) where !bytes.isEmpty {
                let at = Int(next() % UInt64(bytes.count)), byte = alphabet[Int(next() % UInt64(alphabet.count))]
                switch next() % 3 {
                case 0: bytes[at] = byte
                case 1: bytes.insert(byte, at: at)
                default: bytes.remove(at: at)
                }
            }
            let header: CSVOptions.Header = [.detect, .present, .absent][Int(next() % 3)]
            let columns = round % 4 == 0 ? try ColumnSelection([1, 0]) : nil
            let options = try CSVOptions(delimiter: delimiter, header: header, columns: columns)
            var offset = 0
            let chunked = CSVReader(options: options, name: "r.csv") {
                guard offset < bytes.count else { return nil }
                defer { offset += 1 }
                return [bytes[offset]]
            }
            for reader in [CSVReader(bytes: bytes, options: options, name: "r.csv"), chunked] {
                do {
                    var samples = try CSVSampleReader(reader, inputShape: [nil, 2, nil], window: nil, hop: 1 + round % 2)
                    while let batch = try samples.nextBatch(maxSamples: 3) {
                        #expect(batch.input.count == batch.firstRows.count * samples.windowing.rowsPerSample * samples.windowing.valuesPerRow)
                        batches += 1
                    }
                } catch let error as KerasError {
                    #expect(error.file == "r.csv" || error.file == nil, "\(error)")
                }
            }
        }
        #expect(batches > 100, "some inputs make samples: \(batches) batches")
    }
}
