import Foundation
import Testing
import TestSupport

/// The public surface of KerasRuntime — what apps compile against — is the committed list
/// `Tests/Fixtures/public-api/KerasRuntime.txt`. A change to it must be deliberate: run the tests
/// with `KCONV_RECORD_PUBLIC_API=1` to rewrite the list, and review its diff.
@Suite("KerasRuntime's public API")
struct PublicAPITests {
    static let sources = Repository.root.appendingPathComponent("Sources/KerasRuntime")
    static let list = Repository.fixtures("public-api").appendingPathComponent("KerasRuntime.txt")

    @Test("the public declarations are the committed list")
    func publicDeclarationsAreCommitted() throws {
        let current = try PublicDeclarations.scan(PublicAPITests.sources).joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["KCONV_RECORD_PUBLIC_API"] != nil {
            try FileManager.default.createDirectory(at: PublicAPITests.list.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try current.write(to: PublicAPITests.list, atomically: true, encoding: .utf8)
        }
        let committed = (try? String(contentsOf: PublicAPITests.list, encoding: .utf8)) ?? ""
        let added = Set(current.split(separator: "\n")).subtracting(committed.split(separator: "\n")).sorted()
        let removed = Set(committed.split(separator: "\n")).subtracting(current.split(separator: "\n")).sorted()
        #expect(added.isEmpty && removed.isEmpty, """
            KerasRuntime's public API changed (rerun with KCONV_RECORD_PUBLIC_API=1 if this is meant):
            added: \(added.joined(separator: " | "))
            removed: \(removed.joined(separator: " | "))
            """)
    }

    @Test("the scanner sees declarations in their types, and nothing in strings or comments")
    func scanner() {
        let source = """
            public struct A {
                // public func commented()
                let s = "public func quoted() {"
                public func f(
                    x: Int) -> Int { x }
                struct Inner {
                    public var v: Int
                }
            }
            extension A {
                public init() {}
            }
            package func hidden() {}
            """
        #expect(PublicDeclarations.declarations(in: source, file: "A.swift") == [
            "A.swift: public struct A",
            "A.swift: A: public func f( x: Int) -> Int",
            "A.swift: A.Inner: public var v: Int",
            "A.swift: A: public init()",
        ])
    }
}

/// A textual scan of Swift sources for `public` and `open` declarations, each with the type it is
/// in. A declaration must start its line (as every declaration in this repository does).
enum PublicDeclarations {
    /// One line per declaration, `File.swift: Outer.Inner: public func f(x: Int) -> Int`, sorted.
    static func scan(_ directory: URL) throws -> [String] {
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        var lines: [String] = []
        for file in files {
            lines += declarations(in: try String(contentsOf: file, encoding: .utf8), file: file.lastPathComponent)
        }
        return lines.sorted()
    }

    /// The declarations of one file, in order.
    static func declarations(in source: String, file: String) -> [String] {
        var result: [String] = []
        var scopes: [(name: String, depth: Int)] = []
        var depth = 0
        var pending: String?  // a declaration whose parameters continue on the next lines
        var inMultilineString = false
        for rawLine in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let code = codePart(of: String(rawLine), inMultilineString: &inMultilineString)
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            if var text = pending {
                text += " " + trimmed
                if balanced(text) {
                    result.append(text.components(separatedBy: "{")[0].trimmingCharacters(in: .whitespaces))
                    pending = nil
                } else {
                    pending = text
                }
            } else if isPublic(trimmed) {
                let context = scopes.map(\.name).joined(separator: ".")
                let text = "\(file): " + (context.isEmpty ? "" : "\(context): ") + trimmed
                if balanced(text) {
                    result.append(text.components(separatedBy: "{")[0].trimmingCharacters(in: .whitespaces))
                } else {
                    pending = text
                }
            }
            if let name = typeName(in: trimmed), trimmed.contains("{") {
                scopes.append((name, depth + 1))
            }
            for ch in code {
                if ch == "{" { depth += 1 }
                if ch == "}" {
                    depth -= 1
                    while let last = scopes.last, last.depth > depth { scopes.removeLast() }
                }
            }
        }
        return result
    }

    /// The line without comments and with string contents blanked out.
    private static func codePart(of line: String, inMultilineString: inout Bool) -> String {
        if line.contains("\"\"\"") {
            inMultilineString.toggle()
            return ""
        }
        if inMultilineString { return "" }
        var out = ""
        var inString = false, escaped = false, previous: Character = " "
        for ch in line {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false; out.append(ch) }
                continue
            }
            if ch == "/" && previous == "/" { out.removeLast(); break }
            if ch == "\"" { inString = true }
            out.append(ch)
            previous = ch
        }
        return out
    }

    private static func isPublic(_ line: String) -> Bool {
        var words = line.split(separator: " ")
        while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
        return words.first == "public" || words.first == "open"
    }

    private static func balanced(_ text: String) -> Bool {
        text.filter { $0 == "(" }.count <= text.filter { $0 == ")" }.count
    }

    /// The name a line opens a type or extension scope for, if it does.
    private static func typeName(in line: String) -> String? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "{" || $0 == "<" })
        guard let i = words.firstIndex(where: { ["struct", "enum", "class", "protocol", "extension", "actor"].contains($0) }),
              i + 1 < words.count else { return nil }
        return String(words[i + 1])
    }
}
