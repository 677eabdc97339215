import Foundation

/// How consecutive rows of a CSV make the samples of a model input.
///
/// Each row gives ``valuesPerRow`` values: the input's last axis (its features), or the one before
/// it when the last of three or more axes is a channel axis of 1 (`(4, 50, 8, 1)` with 8 columns;
/// in `(100, 1)` the 1 is the features axis). The axes before
/// the features are rows, in order: for `(4, 50, 8, 1)` a sample is 4 consecutive windows of 50
/// rows, 200 rows; for a `(timesteps, features)` input a sample is `timesteps` rows (a lookback
/// window); for `(features)` a sample is one row. A window length (``init(inputShape:valuesPerRow:window:hop:)``'s
/// `window`) fills an unknown time axis, or must equal the known one. Sample `k` starts at row
/// `k · hop`: the default hop is a sample's length (non-overlapping samples), 1 slides row by row.
public struct SampleWindowing: Sendable, Equatable {
    /// The most values one sample may hold.
    public static let maxSampleValues = 1 << 26
    /// The largest hop.
    public static let maxHop = 1 << 40

    /// The model input's shape, batch first, as given.
    public let inputShape: [Int?]
    /// One sample's shape (no batch axis), unknown dimensions filled.
    public let sampleShape: [Int]
    /// The values each row gives.
    public let valuesPerRow: Int
    /// The rows one sample takes.
    public let rowsPerSample: Int
    /// The rows between the first rows of consecutive samples.
    public let hop: Int

    /// The windowing of rows of `valuesPerRow` values for an input of `inputShape` (batch first).
    ///
    /// Throws when the rows cannot fill the input: another number of features, an unknown axis
    /// that `window` does not fill, a `window` that differs from the input's, a hop below 1.
    public init(inputShape: [Int?], valuesPerRow: Int, window: Int? = nil, hop: Int? = nil) throws {
        let shapeText = inputShape.kerasDescription
        func fail(_ message: String) -> KerasError { KerasError(.shape, "model input \(shapeText) \(message)") }
        var dims = Array(inputShape.dropFirst())
        guard !dims.isEmpty else { throw fail("has no axis besides the batch: it cannot take CSV rows") }
        guard valuesPerRow >= 1 else { throw fail("needs values; the CSV rows give none") }
        if let window, window < 1 { throw KerasError(.invalidArgument, "--window must be at least 1 (got \(window))") }
        if let hop, hop < 1 || hop > Self.maxHop {
            throw KerasError(.invalidArgument, "--hop must be between 1 and \(Self.maxHop) (got \(hop))")
        }

        let featureAxis = Self.featureAxis(of: dims, valuesPerRow: valuesPerRow)
        if let features = dims[featureAxis] {
            guard features == valuesPerRow else {
                throw fail("takes \(features) value\(features == 1 ? "" : "s") per row (its feature axis); the CSV gives \(valuesPerRow) per row (choose them with --columns)")
            }
        } else {
            dims[featureAxis] = valuesPerRow
        }
        // The row axes: the last one is the window, which --window may fill.
        if featureAxis > 0 {
            let windowAxis = featureAxis - 1
            switch (dims[windowAxis], window) {
            case (nil, let w?): dims[windowAxis] = w
            case (nil, nil): throw fail("has a free time axis: give its length in rows with --window N")
            case (let d?, let w?) where d != w:
                throw fail("takes windows of \(d) rows; --window \(w) does not fit (omit --window, or give \(d))")
            default: break
            }
        } else if let window, window != 1 {
            throw fail("takes one row per sample; --window \(window) does not fit (omit --window)")
        }
        if let unknown = dims.firstIndex(where: { $0 == nil }) {
            throw fail("has an unknown axis \(unknown + 1) that the rows cannot fill")
        }
        let known = dims.map { $0 ?? 0 }
        guard let values = Tensor.elementCount(known), values <= Self.maxSampleValues, values > 0 else {
            throw fail("needs more than \(Self.maxSampleValues) values per sample, or none")
        }
        self.inputShape = inputShape
        sampleShape = known
        self.valuesPerRow = valuesPerRow
        rowsPerSample = values / valuesPerRow
        self.hop = hop ?? rowsPerSample
    }

    /// The axis of `dims` (a sample's shape, no batch axis) that rows of `valuesPerRow` values fill:
    /// the last, or the one before it when the last of three or more axes is a channel axis of 1.
    static func featureAxis(of dims: [Int?], valuesPerRow: Int) -> Int {
        dims.count >= 3 && dims[dims.count - 1] == 1 && valuesPerRow != 1 ? dims.count - 2 : dims.count - 1
    }

    /// The samples `rows` rows make.
    public func sampleCount(rows: Int) -> Int {
        rows < rowsPerSample ? 0 : (rows - rowsPerSample) / hop + 1
    }

    /// The rows after the last whole sample, which make no sample.
    public func rowsLeftOut(rows: Int) -> Int {
        let samples = sampleCount(rows: rows)
        return samples == 0 ? rows : rows - ((samples - 1) * hop + rowsPerSample)
    }

    /// "4 windows of 50 rows × 8 values" or "3 rows × 2 values".
    public var sampleDescription: String {
        let rowAxes = sampleShape.prefix(rowAxesCount)
        let values = "\(valuesPerRow) value\(valuesPerRow == 1 ? "" : "s")"
        switch rowAxes.count {
        case 0: return "1 row × \(values)"
        case 1: return "\(rowsPerSample) rows × \(values)"
        default:
            let window = rowAxes.last ?? 1
            return "\(rowsPerSample / window) windows of \(window) rows × \(values)"
        }
    }

    private var rowAxesCount: Int { Self.featureAxis(of: sampleShape, valuesPerRow: valuesPerRow) }
}

/// A batch of samples cut from CSV rows.
public struct SampleBatch: Sendable {
    /// The samples, shape `(samples, ...)` as the model input takes them.
    public let input: Tensor
    /// Each sample's first data row (0-based, the header not counted); it spans
    /// ``SampleWindowing/rowsPerSample`` rows from there.
    public let firstRows: [Int]
}

/// Cuts the rows of a ``CSVReader`` into a model input's samples and hands them out in batches:
/// only the rows of the sample being filled are held, so memory stays flat in the file's length.
///
/// ```swift
/// let csv = try CSVReader(contentsOf: url, options: CSVOptions(columns: ColumnSelection(parsing: "0-7")))
/// var samples = try CSVSampleReader(csv, inputShape: model.inputs[0].shape, scaler: model.scaler)
/// while let batch = try samples.nextBatch(maxSamples: 32) {
///     let y = try model.predict(batch.input)
/// }
/// ```
public struct CSVSampleReader {
    /// How rows make samples.
    public let windowing: SampleWindowing
    /// The scaler applied to each row, in float64 before the cast to `Float` (as scikit-learn).
    public let scaler: InputScaler?
    /// The data rows read so far.
    public var rowsRead: Int { reader.rowCount }
    /// The bytes of the CSV read so far (for progress reports).
    public var bytesRead: Int { reader.bytesRead }
    /// The samples handed out so far.
    public private(set) var samplesRead = 0
    /// The file named in errors.
    public var name: String { reader.name }

    private var reader: CSVReader
    /// The values of the rows from the next sample's first row on, row after row.
    private var pending: [Float] = []
    /// The index of `pending`'s first row.
    private var pendingFirstRow = 0
    /// The first row read and not yet placed in `pending`.
    private var firstRow: [Double]?
    private var finished = false
    /// The index of the next row `nextRow()` returns.
    private var nextRowIndex = 0

    /// Reads the first row of `reader` (to know the values per row) and sets up the windowing (see
    /// ``SampleWindowing``) of an input of `inputShape`, batch first.
    public init(_ reader: CSVReader, inputShape: [Int?], window: Int? = nil, hop: Int? = nil, scaler: InputScaler? = nil) throws {
        var reader = reader
        guard let first = try reader.nextRow() else {
            throw KerasError(.format, "has a header but no data rows", file: reader.name)
        }
        do {
            windowing = try SampleWindowing(inputShape: inputShape, valuesPerRow: first.count, window: window, hop: hop)
        } catch let error as KerasError where error.kind == .shape {
            throw error.inFile(reader.name)
        }
        if let scaler, scaler.featureCount != first.count {
            throw KerasError(.shape, "the model's input scaler was fitted on \(scaler.featureCount) features; the CSV rows give \(first.count) values", file: reader.name)
        }
        self.reader = reader
        self.scaler = scaler
        firstRow = first
    }

    /// The next batch of up to `maxSamples` samples (at least 1), or `nil` when the rows are used
    /// up. Throws when the whole input makes no sample, saying what the model needs and what the
    /// file gives.
    public mutating func nextBatch(maxSamples: Int) throws -> SampleBatch? {
        let limit = max(1, maxSamples)
        let sampleValues = windowing.rowsPerSample * windowing.valuesPerRow
        var scalars: [Float] = []
        var firstRows: [Int] = []
        while firstRows.count < limit, !finished {
            if pending.count >= sampleValues {
                scalars.append(contentsOf: pending[..<sampleValues])
                firstRows.append(pendingFirstRow)
                samplesRead += 1
                // On to the next sample's first row: drop `hop` rows, skipping any not yet read.
                let drop = windowing.hop * windowing.valuesPerRow
                if drop <= pending.count {
                    pending.removeFirst(drop)
                } else {
                    pending.removeAll(keepingCapacity: true)
                }
                pendingFirstRow += windowing.hop
                continue
            }
            guard let row = try nextRow() else {
                finished = true
                break
            }
            defer { nextRowIndex += 1 }
            if nextRowIndex >= pendingFirstRow {
                pending += scaler?.transform(row) ?? row.map { Float($0) }
            }
        }
        if finished, samplesRead == 0 {
            throw KerasError(.shape, "has \(rowsRead) data row\(rowsRead == 1 ? "" : "s") of \(windowing.valuesPerRow) value\(windowing.valuesPerRow == 1 ? "" : "s"); model input \(windowing.inputShape.kerasDescription) needs \(windowing.rowsPerSample) rows for one sample (\(windowing.sampleDescription))", file: reader.name)
        }
        guard !firstRows.isEmpty else { return nil }
        return SampleBatch(input: Tensor(uncheckedShape: [firstRows.count] + windowing.sampleShape, scalars: scalars), firstRows: firstRows)
    }

    /// The rows after the last sample that make no sample (known once ``nextBatch(maxSamples:)`` returns `nil`).
    public var rowsLeftOut: Int { windowing.rowsLeftOut(rows: rowsRead) }

    private mutating func nextRow() throws -> [Double]? {
        if let first = firstRow {
            firstRow = nil
            return first
        }
        return try reader.nextRow()
    }
}
