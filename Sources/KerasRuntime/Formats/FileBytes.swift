import Foundation

/// How KerasRuntime reads and writes its files (`.npy`, `.kconv`): whole, with one set of errors.
///
/// Files are read into memory, never memory-mapped. A file truncated or rewritten in place while it
/// is mapped kills the process with SIGBUS at the next access to a page that is gone, which no check
/// can turn into an error; and every tensor is copied out of the file's bytes into `[Float]` storage
/// anyway, so a mapping would save only a transient copy. The bytes are released once decoded.
enum FileBytes {
    /// The contents of the file at `url`, a `format` file (`.npy` ...), which is named in the errors
    /// for a missing, unreadable or empty file and a directory.
    static func read(_ url: URL, format: String) throws -> Data {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KerasError(.io, "no such file", file: path)
        }
        guard !isDirectory.boolValue else {
            throw KerasError(.io, "is a directory, not a \(format) file", file: path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw KerasError(.io, "cannot be read: \(reason(error))", file: path)
        }
        guard !data.isEmpty else {
            throw KerasError(.format, "the file is empty (0 bytes), not a \(format) file", file: path)
        }
        return data
    }

    /// Writes `bytes` to `url`, replacing any file there atomically.
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw KerasError(.io, "cannot write: no such directory '\(directory)'", file: path)
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw KerasError(.io, "cannot write: is a directory", file: path)
        }
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw KerasError(.io, "cannot write: \(reason(error))", file: path)
        }
    }

    /// Foundation's description of a file error, or the error itself when it gives none.
    private static func reason(_ error: any Error) -> String {
        let text = (error as NSError).localizedDescription
        return text.isEmpty ? "\(error)" : text
    }
}
