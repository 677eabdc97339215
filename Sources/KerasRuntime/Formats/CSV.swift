import Foundation

/// How to read a CSV of numbers: the delimiter, the header line, and which columns to keep.
public struct CSVOptions: Sendable, Equatable {
    /// Whether the first line names the columns.
    public enum Header: Sendable, Equatable {
        /// A header when a selected field of the first line is not a number.
        case detect
        /// The first line is a header.
        case present
        /// The first line is data.
        case absent
    }

    /// The field separator, one ASCII character (`,` by default; `\t` for TSV).
    public var delimiter: UInt8
    /// The header line.
    public var header: Header
    /// The columns to keep, in this order; `nil` keeps every column.
    public var columns: ColumnSelection?

    /// Options for reading numbers separated by `delimiter` (an ASCII character other than `"`,
    /// `#`, a digit, a sign, a point, a letter or a line break).
    public init(delimiter: Character = ",", header: Header = .detect, columns: ColumnSelection? = nil) throws {
        guard let ascii = delimiter.asciiValue, Self.isUsableDelimiter(ascii) else {
            throw KerasError(.invalidArgument, "the delimiter '\(delimiter)' cannot separate numbers: use one ASCII character such as ',', ';', '|' or a tab")
        }
        self.delimiter = ascii
        self.header = header
        self.columns = columns
    }

    private static func isUsableDelimiter(_ byte: UInt8) -> Bool {
        let c = Character(Unicode.Scalar(byte))
        return byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "#") && byte != 0x0A && byte != 0x0D
            && !c.isLetter && !c.isNumber && !"+-.".contains(c)
    }
}

/// Which columns of a CSV to read: 0-based indices in the order given, parsed from `0-7`, `1,3,5`
/// or `0-3,6` (ranges are inclusive).
public struct ColumnSelection: Sendable, Equatable, CustomStringConvertible {
    /// The most columns a selection may name.
    public static let maxColumns = 1 << 16

    /// The selected columns' indices, in order.
    public let indices: [Int]

    /// A selection of `indices` (each ≥ 0, no repeats, at most ``maxColumns``).
    public init(_ indices: [Int]) throws {
        guard !indices.isEmpty else { throw KerasError(.invalidArgument, "the column selection is empty") }
        guard indices.count <= Self.maxColumns else {
            throw KerasError(.invalidArgument, "the column selection names \(indices.count) columns; at most \(Self.maxColumns) are allowed")
        }
        if let negative = indices.first(where: { $0 < 0 }) {
            throw KerasError(.invalidArgument, "column \(negative) is negative (columns are numbered from 0)")
        }
        var seen = Set<Int>()
        for i in indices where !seen.insert(i).inserted {
            throw KerasError(.invalidArgument, "column \(i) is selected twice")
        }
        self.indices = indices
    }

    /// Parses `0-7`, `1,3,5`, `0-3,6`: comma-separated 0-based columns and inclusive ranges.
    public init(parsing text: String) throws {
        var indices: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            func bad() -> KerasError {
                KerasError(.invalidArgument, "'\(text)' is not a column selection: '\(item)' is neither a column number nor a range FIRST-LAST (e.g. 0-7 or 0,2,4-6; columns are numbered from 0)")
            }
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2, bounds.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                  let first = Int(bounds[0]), let last = Int(bounds[bounds.count - 1]) else { throw bad() }
            guard first <= last else {
                throw KerasError(.invalidArgument, "'\(text)' is not a column selection: the range \(item) runs backwards")
            }
            guard indices.count + (last - first + 1) <= Self.maxColumns else {
                throw KerasError(.invalidArgument, "the column selection '\(text)' names more than \(Self.maxColumns) columns")
            }
            indices += first...last
        }
        try self.init(indices)
    }

    /// The selection as ``init(parsing:)`` reads it, ranges collapsed: `0-7`, `0-3,6`.
    public var description: String {
        var parts: [String] = []
        var i = 0
        while i < indices.count {
            var j = i
            while j + 1 < indices.count, indices[j + 1] == indices[j] + 1 { j += 1 }
            parts.append(j > i ? "\(indices[i])-\(indices[j])" : "\(indices[i])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

/// Reads a CSV of numbers one row at a time, from bytes in memory or from a stream, holding only
/// the current line: memory stays flat in the file's length.
///
/// Lines end in `\n` or `\r\n`; blank lines and lines starting with `#` are skipped (as
/// `numpy.loadtxt` does); a UTF-8 byte-order mark is ignored. Fields may be enclosed in double
/// quotes, and surrounding spaces are ignored. Every data row must have as many fields as the first
/// line. A value is read as `Double` (correctly rounded, as numpy reads a float64 column; `nan` and
/// `inf` are accepted). Anything else — a missing column, an empty field, a word where a number is
/// expected, a line over ``maxLineLength`` bytes — is a ``KerasError`` naming the file and line.
public struct CSVReader {
    /// The longest line accepted, in bytes.
    public static let maxLineLength = 1 << 20

    /// The file named in errors.
    public let name: String
    /// The options read with.
    public let options: CSVOptions
    /// The header line's names for the selected columns, once the first line is read and it is a header.
    public private(set) var headerNames: [String]?
    /// The number of fields every line has, once the first line is read.
    public private(set) var fieldCount: Int?
    /// The 1-based line number of the last line read.
    public private(set) var lineNumber = 0
    /// The data rows returned so far.
    public private(set) var rowCount = 0
    /// The bytes taken from the input so far (for progress reports).
    public private(set) var bytesRead = 0

    private var nextChunk: () throws -> [UInt8]?
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    private var firstLine = true

    /// A reader of `bytes`; `name` is the file to name in errors.
    public init(bytes: [UInt8], options: CSVOptions, name: String) {
        var handed = false
        self.init(options: options, name: name) {
            if handed { return nil }
            handed = true
            return bytes
        }
    }

    /// A reader of `fileHandle`, read in chunks as rows are asked for (standard input too).
    public init(fileHandle: FileHandle, options: CSVOptions, name: String) {
        self.init(options: options, name: name) {
            let data: Data?
            do { data = try fileHandle.read(upToCount: 1 << 16) } catch {
                throw KerasError(.io, "cannot be read: \((error as NSError).localizedDescription)", file: name)
            }
            guard let data, !data.isEmpty else { return nil }
            return [UInt8](data)
        }
    }

    /// A reader of the file at `url` (not read whole: see ``init(fileHandle:options:name:)``);
    /// errors name the path as given.
    public init(contentsOf url: URL, options: CSVOptions) throws {
        let name = url.relativePath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw KerasError(.io, "no such file", file: name)
        }
        guard !isDirectory.boolValue else { throw KerasError(.io, "is a directory, not a CSV file", file: name) }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw KerasError(.io, "cannot be read: \((error as NSError).localizedDescription)", file: name)
        }
        self.init(fileHandle: handle, options: options, name: name)
    }

    /// A reader taking its bytes from `nextChunk` until it returns `nil`.
    public init(options: CSVOptions, name: String, nextChunk: @escaping () throws -> [UInt8]?) {
        self.options = options
        self.name = name
        self.nextChunk = nextChunk
    }

    /// The number of values in each row: the selected columns, or every field.
    public var valuesPerRow: Int? { options.columns?.indices.count ?? fieldCount }

    /// The next data row's selected values, or `nil` at the end of the input.
    public mutating func nextRow() throws -> [Double]? {
        while let line = try nextLine() {
            let fields = try split(line)
            if firstLine {
                firstLine = false
                try checkColumns(fields.count)
                fieldCount = fields.count
                if try isHeader(fields) {
                    headerNames = selected(fields).map { String(decoding: $0, as: UTF8.self) }
                    continue
                }
            } else if fields.count != fieldCount {
                throw KerasError(.format, "line \(lineNumber) has \(fields.count) field\(fields.count == 1 ? "" : "s"); the first line has \(fieldCount ?? 0)", file: name)
            }
            var values: [Double] = []
            values.reserveCapacity(valuesPerRow ?? fields.count)
            for (column, field) in zip(selectedIndices(fields.count), selected(fields)) {
                guard let value = Self.number(field) else {
                    let text = String(decoding: field.prefix(40), as: UTF8.self)
                    if field.isEmpty { throw KerasError(.format, "line \(lineNumber), column \(column): the field is empty", file: name) }
                    throw KerasError(.format, "line \(lineNumber), column \(column): '\(text)' is not a number", file: name)
                }
                values.append(value)
            }
            rowCount += 1
            return values
        }
        if firstLine { throw KerasError(.format, "has no rows (every line is blank or a # comment)", file: name) }
        return nil
    }

    // MARK: Lines and fields

    private mutating func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if let end = buffer[position...].firstIndex(of: 0x0A) {
                var line = buffer[position..<end]
                position = end + 1
                lineNumber += 1
                if line.last == 0x0D { line = line.dropLast() }
                if let kept = keep(line) { return kept }
                continue
            }
            if buffer.count - position > Self.maxLineLength {
                throw KerasError(.format, "line \(lineNumber + 1) is longer than \(Self.maxLineLength) bytes", file: name)
            }
            if finished {
                guard position < buffer.count else { return nil }
                var line = buffer[position...]
                position = buffer.count
                lineNumber += 1
                if line.last == 0x0D { line = line.dropLast() }
                if let kept = keep(line) { return kept }
                return nil
            }
            buffer.removeSubrange(..<position)
            position = 0
            if let chunk = try nextChunk() {
                bytesRead += chunk.count
                if lineNumber == 0 && buffer.isEmpty && chunk.starts(with: [0xEF, 0xBB, 0xBF]) {
                    buffer += chunk.dropFirst(3)
                } else {
                    buffer += chunk
                }
            } else {
                finished = true
            }
        }
    }

    /// The line without surrounding blanks, or `nil` for a blank or comment line.
    private func keep(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let trimmed = trim(line)
        if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { return nil }
        return line
    }

    private func trim(_ field: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var f = field
        while let c = f.first, (c == 0x20 || (c == 0x09 && options.delimiter != 0x09)) { f = f.dropFirst() }
        while let c = f.last, (c == 0x20 || (c == 0x09 && options.delimiter != 0x09)) { f = f.dropLast() }
        return f
    }

    /// The line's fields, trimmed and unquoted (a delimiter inside quotes belongs to the field).
    private func split(_ line: ArraySlice<UInt8>) throws -> [ArraySlice<UInt8>] {
        var fields: [ArraySlice<UInt8>] = []
        var start = line.startIndex, i = line.startIndex, quoted = false
        while i < line.endIndex {
            let c = line[i]
            if c == UInt8(ascii: "\"") { quoted.toggle() }
            else if c == options.delimiter && !quoted {
                fields.append(unquote(trim(line[start..<i])))
                start = i + 1
            }
            i += 1
        }
        guard !quoted else { throw KerasError(.format, "line \(lineNumber): a quoted field is not closed", file: name) }
        fields.append(unquote(trim(line[start..<line.endIndex])))
        return fields
    }

    private func unquote(_ field: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard field.count >= 2, field.first == UInt8(ascii: "\""), field.last == UInt8(ascii: "\"") else { return field }
        return trim(field.dropFirst().dropLast())
    }

    private func checkColumns(_ count: Int) throws {
        guard let columns = options.columns, let missing = columns.indices.first(where: { $0 >= count }) else { return }
        throw KerasError(.invalidArgument, "has \(count) column\(count == 1 ? "" : "s") (0-\(count - 1)); column \(missing) is selected", file: name)
    }

    private func selectedIndices(_ count: Int) -> [Int] { options.columns?.indices ?? Array(0..<count) }

    private func selected(_ fields: [ArraySlice<UInt8>]) -> [ArraySlice<UInt8>] {
        guard let columns = options.columns else { return fields }
        return columns.indices.map { fields[$0] }
    }

    private func isHeader(_ fields: [ArraySlice<UInt8>]) throws -> Bool {
        switch options.header {
        case .present: return true
        case .absent: return false
        case .detect: return selected(fields).contains { Self.number($0) == nil }
        }
    }

    /// The number a field spells, correctly rounded to `Double`; `nil` when it is not one.
    static func number(_ field: ArraySlice<UInt8>) -> Double? {
        guard !field.isEmpty, field.count <= 400 else { return nil }
        return Double(String(decoding: field, as: UTF8.self))
    }
}
