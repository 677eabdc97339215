import Foundation

/// The header of a `.npy` file: a Python dict literal, parsed without Python.
extension Npy {
    /// The header fields of a `.npy` file.
    struct Header: Equatable {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
    }

    /// Parses the header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    ///
    /// Keys may come in any order, with any spacing and an optional trailing comma; extra keys are
    /// ignored. Values are Python literals: strings (`'…'`, `"…"`, optionally `u`/`b`-prefixed),
    /// `True`/`False`/`None`, integers (Python 2's `3L` too), tuples, lists and nested dicts.
    static func parseHeader(_ text: String) throws -> Header {
        var parser = LiteralParser(text)
        let value = try parser.parseDocument()
        guard case .dict(let entries) = value else {
            throw KerasError(.format, "the .npy header is not a dict: \(abbreviated(text))")
        }
        func entry(_ key: String) throws -> PyValue {
            guard let value = entries.first(where: { $0.key == .string(key) })?.value else {
                throw KerasError(.format, "the .npy header has no '\(key)': \(abbreviated(text))")
            }
            return value
        }
        let descr: String
        switch try entry("descr") {
        case .string(let s): descr = s
        case let other: descr = other.pythonText
        }
        guard case .bool(let fortranOrder) = try entry("fortran_order") else {
            throw KerasError(.format, "the .npy header's 'fortran_order' is not True or False: \(abbreviated(text))")
        }
        let shapeValue = try entry("shape")
        let shapeItems: [PyValue]
        switch shapeValue {
        case .tuple(let items), .list(let items): shapeItems = items
        default: throw KerasError(.format, "the .npy header's 'shape' is not a tuple: \(abbreviated(text))")
        }
        var shape: [Int] = []
        shape.reserveCapacity(shapeItems.count)
        for item in shapeItems {
            guard case .int(let d) = item else {
                throw KerasError(.format, "the .npy header's 'shape' holds a non-integer: \(abbreviated(text))")
            }
            shape.append(d)
        }
        return Header(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

    private static func abbreviated(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.count <= 120 ? trimmed : String(trimmed.prefix(120)) + "…"
    }

    /// A Python literal as it appears in a `.npy` header.
    indirect enum PyValue: Equatable {
        case string(String)
        case int(Int)
        case float(Double)
        case bool(Bool)
        case none
        case tuple([PyValue])
        case list([PyValue])
        case dict([(key: PyValue, value: PyValue)])

        static func == (a: PyValue, b: PyValue) -> Bool {
            switch (a, b) {
            case let (.string(x), .string(y)): x == y
            case let (.int(x), .int(y)): x == y
            case let (.float(x), .float(y)): x == y
            case let (.bool(x), .bool(y)): x == y
            case (.none, .none): true
            case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): x == y
            case let (.dict(x), .dict(y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: false
            }
        }

        /// The value written back as Python would print it (for error messages).
        var pythonText: String {
            switch self {
            case .string(let s): "'\(s)'"
            case .int(let i): String(i)
            case .float(let x): String(x)
            case .bool(let b): b ? "True" : "False"
            case .none: "None"
            case .tuple(let items): items.count == 1 ? "(\(items[0].pythonText),)" : "(" + items.map(\.pythonText).joined(separator: ", ") + ")"
            case .list(let items): "[" + items.map(\.pythonText).joined(separator: ", ") + "]"
            case .dict(let entries): "{" + entries.map { "\($0.key.pythonText): \($0.value.pythonText)" }.joined(separator: ", ") + "}"
            }
        }
    }

    /// A recursive-descent parser for the Python literals of a `.npy` header.
    struct LiteralParser {
        private let chars: [Unicode.Scalar]
        private var position = 0
        private var depth = 0
        private let source: String

        /// Nesting deeper than this is refused rather than risking the stack.
        static let maxDepth = 32

        init(_ text: String) {
            source = text
            chars = Array(text.unicodeScalars)
        }

        /// One literal followed only by whitespace.
        mutating func parseDocument() throws -> PyValue {
            let value = try parseValue()
            skipSpace()
            guard position == chars.count else { throw error("unexpected text after the header dict") }
            return value
        }

        private func error(_ what: String) -> KerasError {
            KerasError(.format, "cannot parse the .npy header (\(what) at character \(position)): \(Npy.abbreviated(source))")
        }

        private var current: Unicode.Scalar? { position < chars.count ? chars[position] : nil }

        private mutating func skipSpace() {
            while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" { position += 1 }
        }

        private mutating func parseValue() throws -> PyValue {
            skipSpace()
            guard let c = current else { throw error("unexpected end") }
            switch c {
            case "{": return try parseDict()
            case "(":
                let (items, hadComma) = try parseSequence(close: ")")
                return items.count == 1 && !hadComma ? items[0] : .tuple(items)
            case "[": return .list(try parseSequence(close: "]").items)
            case "'", "\"": return .string(try parseString())
            case "u", "U", "b", "B":
                if position + 1 < chars.count, chars[position + 1] == "'" || chars[position + 1] == "\"" {
                    position += 1
                    return .string(try parseString())
                }
                return try parseWord()
            case "-", "+", "0"..."9": return try parseNumber()
            default: return try parseWord()
            }
        }

        private mutating func parseWord() throws -> PyValue {
            let start = position
            while let c = current, c.properties.isAlphabetic || c == "_" { position += 1 }
            switch String(String.UnicodeScalarView(chars[start..<position])) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                position = start
                throw error("unexpected character '\(current.map { String($0) } ?? "")'")
            }
        }

        private mutating func parseString() throws -> String {
            guard let quote = current else { throw error("unexpected end") }
            position += 1
            var result = String.UnicodeScalarView()
            while true {
                guard let c = current else { throw error("unterminated string") }
                position += 1
                if c == quote { break }
                if c == "\\" {
                    guard let escaped = current else { throw error("unterminated string") }
                    position += 1
                    switch escaped {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "r": result.append("\r")
                    case "0": result.append("\0")
                    default: result.append(escaped)
                    }
                } else {
                    result.append(c)
                }
            }
            return String(result)
        }

        /// An integer, or a float (`2.5`, `1e3`) kept only so the error can say "non-integer".
        private mutating func parseNumber() throws -> PyValue {
            let start = position
            let integer = try parseInt()
            guard let c = current, c == "." || c == "e" || c == "E" else { return .int(integer) }
            while let c = current, ("0"..."9").contains(c) || c == "." || c == "e" || c == "E" || c == "-" || c == "+" {
                position += 1
            }
            guard let value = Double(String(String.UnicodeScalarView(chars[start..<position]))) else {
                throw error("malformed number")
            }
            return .float(value)
        }

        private mutating func parseInt() throws -> Int {
            var negative = false
            if current == "-" || current == "+" {
                negative = current == "-"
                position += 1
            }
            let start = position
            var value = 0
            while let c = current, ("0"..."9").contains(c) {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(c.value) - 48)
                guard !o1, !o2 else { throw error("integer too large") }
                value = sum
                position += 1
            }
            guard position > start else { throw error("expected digits") }
            if current == "L" || current == "l" { position += 1 }  // Python 2 long literal.
            return negative ? -value : value
        }

        private mutating func enter() throws {
            depth += 1
            guard depth <= Self.maxDepth else { throw error("nested too deeply") }
        }

        /// The items of a tuple or list, and whether a comma appeared (`(5)` is 5, `(5,)` a tuple).
        private mutating func parseSequence(close: Unicode.Scalar) throws -> (items: [PyValue], hadComma: Bool) {
            try enter()
            defer { depth -= 1 }
            position += 1
            var items: [PyValue] = []
            var hadComma = false
            while true {
                skipSpace()
                if current == close {
                    position += 1
                    return (items, hadComma)
                }
                if !items.isEmpty {
                    guard current == "," else { throw error("expected ',' or '\(close)'") }
                    position += 1
                    hadComma = true
                    skipSpace()
                    if current == close {
                        position += 1
                        return (items, hadComma)
                    }
                }
                items.append(try parseValue())
                guard items.count <= 4096 else { throw error("too many items") }
            }
        }

        private mutating func parseDict() throws -> PyValue {
            try enter()
            defer { depth -= 1 }
            position += 1
            var entries: [(key: PyValue, value: PyValue)] = []
            while true {
                skipSpace()
                if current == "}" {
                    position += 1
                    return .dict(entries)
                }
                if !entries.isEmpty {
                    guard current == "," else { throw error("expected ',' or '}'") }
                    position += 1
                    skipSpace()
                    if current == "}" {
                        position += 1
                        return .dict(entries)
                    }
                }
                let key = try parseValue()
                skipSpace()
                guard current == ":" else { throw error("expected ':'") }
                position += 1
                let value = try parseValue()
                if entries.contains(where: { $0.key == key }) { throw error("duplicate key \(key.pythonText)") }
                entries.append((key, value))
                guard entries.count <= 256 else { throw error("too many keys") }
            }
        }
    }
}
