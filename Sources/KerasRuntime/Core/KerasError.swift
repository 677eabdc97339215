/// The one error type of kconv: what went wrong, and in which file.
///
/// `description` is a single line, `FILE: problem`, ready to print on stderr.
public struct KerasError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad class of a failure; the command-line tool maps it to an exit code.
    public enum Kind: String, Sendable {
        /// The file could not be opened or read.
        case io
        /// The file is damaged or is not what it claims to be.
        case format
        /// The file is valid but uses a layer or option kconv does not run.
        case unsupported
        /// A tensor or a weight has the wrong shape.
        case shape
        /// A caller passed something unusable (wrong input count, bad argument).
        case invalidArgument
    }

    public var kind: Kind
    public var message: String
    /// The file the problem is in, when there is one.
    public var file: String?

    public init(_ kind: Kind, _ message: String, file: String? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
    }

    /// The same error, attributed to `file` unless it already names one.
    public func inFile(_ file: String) -> KerasError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }

    public var description: String {
        let text = message.replacingOccurrences(of: "\n", with: " ")
        return file.map { "\($0): \(text)" } ?? text
    }
}

extension Error {
    /// This error attributed to `file` when it is a ``KerasError`` that names no file yet; any other
    /// error as it is.
    package func inFile(_ file: String) -> any Error {
        (self as? KerasError)?.inFile(file) ?? self
    }
}
