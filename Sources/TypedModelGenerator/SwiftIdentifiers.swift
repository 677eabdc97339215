/// Keras names (`input_1`, `tf.math.multiply`, `dense-2`, `class`) made into Swift identifiers.
enum SwiftIdentifiers {
    /// Swift's keywords, which are escaped with backticks where used as names.
    static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate", "func",
        "import", "init", "inout", "internal", "let", "nonisolated", "open", "operator", "private", "precedencegroup",
        "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case",
        "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
        "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self",
        "super", "throws", "true", "try", "Type", "Protocol",
    ]

    /// The words of a name: runs of ASCII letters and digits, split at every other character.
    private static func words(_ name: String) -> [String] {
        var words: [String] = [], current = ""
        for c in name.unicodeScalars {
            if ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) {
                current.unicodeScalars.append(c)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `input_1` → `input1`, `tf.math.multiply` → `tfMathMultiply`, `Dense` → `dense`; a leading
    /// digit gets an underscore; a name with no letters or digits becomes `value`.
    static func property(_ name: String) -> String {
        let w = words(name)
        guard let first = w.first else { return "value" }
        // `FC_out` → `fcOut`: a word in capitals is an acronym, lowercased whole.
        let head = first == first.uppercased() ? first.lowercased() : first.prefix(1).lowercased() + first.dropFirst()
        return guarded(head + w.dropFirst().map(capitalized).joined())
    }

    /// `cnn_lstm` → `CnnLstm`, `EMGModel` → `EMGModel`; a leading digit gets an underscore.
    static func type(_ name: String) -> String {
        let joined = words(name).map(capitalized).joined()
        return guarded(joined.isEmpty ? "Model" : joined)
    }

    private static func capitalized(_ word: String) -> String { word.prefix(1).uppercased() + word.dropFirst() }

    private static func guarded(_ identifier: String) -> String {
        identifier.first?.isNumber == true ? "_" + identifier : identifier
    }

    /// `names` as distinct properties: a repeated identifier gets `2`, `3`... in order.
    static func distinctProperties(_ names: [String], reserved: Set<String> = []) -> [String] {
        var used = reserved, out: [String] = []
        for name in names {
            let base = property(name)
            var candidate = base, n = 2
            while used.contains(candidate) {
                candidate = "\(base)\(n)"
                n += 1
            }
            used.insert(candidate)
            out.append(candidate)
        }
        return out
    }

    /// The identifier as written in source: backticks around a keyword.
    static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }
}
