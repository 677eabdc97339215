import Foundation

/// How KerasRuntime reads and writes its files (`.npy`, `.kconv`): whole, with one set of errors.
///
/// Files are read into memory, never memory-mapped. A file truncated or rewritten in place while it
/// is mapped kills the process with SIGBUS at the next access to a page that is gone, which no check
/// can turn into an error. Most formats read the whole file into one buffer and copy their tensors
/// out of it, releasing the bytes once decoded; `.kconv` reads a regular file piece by piece
/// (``RegularFile``), each tensor straight into its own `[Float]` storage.
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

    /// A regular file open for reading in pieces, each into storage of the caller's (`.kconv` reads
    /// each tensor straight into its array: one copy of the weights fewer than reading the file into
    /// a buffer first, which saved ~3 ms of page faults in the load of a 5.4 MB model).
    final class RegularFile {
        /// The file's path, for the errors.
        let path: String
        /// Its size when it was opened.
        let size: Int
        private let handle: FileHandle

        /// Opens the file at `url` when it is a regular file of at least one byte; `nil` for anything
        /// else (missing, a directory, empty, a device or pipe), which ``read(_:format:)`` reads, or
        /// reports with its errors. Throws "cannot be read" when the file exists but cannot be opened.
        init?(_ url: URL) throws {
            path = url.path
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else { return nil }
            do {
                handle = try FileHandle(forReadingFrom: url)
            } catch {
                throw KerasError(.io, "cannot be read: \(reason(error))", file: path)
            }
            // The size of the file opened, which may have been replaced since `stat`.
            guard fstat(handle.fileDescriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else {
                return nil
            }
            size = Int(info.st_size)
        }

        /// Reads the bytes at `offset` into `buffer`, as many as it holds; returns how many were
        /// read, fewer only when the file ends first.
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
            var done = 0
            while done < buffer.count, let base = buffer.baseAddress {
                let n = pread(handle.fileDescriptor, base + done, buffer.count - done, off_t(offset + done))
                if n == 0 { break }
                if n < 0 {
                    if errno == EINTR { continue }
                    // The error `Data(contentsOf:)` gives, so that the message is the same as for other formats.
                    let error = CocoaError(.fileReadUnknown, userInfo: [
                        NSFilePathErrorKey: path,
                        NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO),
                    ])
                    throw KerasError(.io, "cannot be read: \(reason(error))", file: path)
                }
                done += n
            }
            return done
        }

        deinit { try? handle.close() }
    }

    /// Writes `bytes` to `url` (see ``OutputFile``): a regular file is replaced atomically, a special
    /// file (a terminal, a pipe, `/dev/stdout`) is written directly, a directory is refused.
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let file = try OutputFile(path: url.path)
        try file.write(bytes)
        try file.commit()
    }

    /// Foundation's description of a file error, or the error itself when it gives none.
    static func reason(_ error: any Error) -> String {
        let text = (error as NSError).localizedDescription
        return text.isEmpty ? "\(error)" : text
    }
}

/// A file being written, so that nothing is lost: a regular file (or a new one) is written to a
/// temporary file beside it and renamed over it at ``commit()``, so a failed write leaves the old
/// file whole; a special file — a character device, a pipe, a socket, anything under `/dev` or
/// `/proc` such as `/dev/stdout` — is written directly, never renamed over; a directory is refused.
/// `-` is standard output. A file that is not committed is removed when the value goes away, or by
/// ``discardAllUnfinished()`` (which an interrupted command calls).
package final class OutputFile {
    /// The temporary files of the writes under way, for ``discardAllUnfinished()``.
    private static let unfinished = TemporaryFiles()

    /// The path written to, as given.
    package let path: String
    private let handle: FileHandle
    /// The temporary file and the file it replaces at commit, when written atomically.
    private let replacement: (temporary: String, target: String)?
    private var done = false

    /// Whether the bytes go to a temporary file, which may be rewritten before ``commit()``.
    package var isReplacingAtomically: Bool { replacement != nil }

    /// The paths that name standard output.
    package static let standardOutputPaths: Set<String> = ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]

    /// Opens `path` for writing as described above.
    package init(path: String) throws {
        self.path = path
        if Self.standardOutputPaths.contains(path) {
            handle = FileHandle.standardOutput
            replacement = nil
            return
        }
        // Through symbolic links to the file they name, as `cp` and `numpy.save` write.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var info = stat()
        let exists = stat(target, &info) == 0
        let kind = info.st_mode & S_IFMT
        if exists, kind == S_IFDIR {
            throw KerasError(.io, "cannot write: is a directory", file: path)
        }
        let special = ["/dev/", "/proc/"].contains { target.hasPrefix($0) || path.hasPrefix($0) }
        if (exists && kind != S_IFREG) || special {
            // Never created here; a regular file under /dev or /proc is emptied first, as `>` does.
            let fd = open(target, O_WRONLY | (exists && kind == S_IFREG ? O_TRUNC : 0))
            guard fd >= 0 else {
                throw KerasError(.io, "cannot write: \(String(cString: strerror(errno)))", file: path)
            }
            handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            replacement = nil
            return
        }
        let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw KerasError(.io, "cannot write: no such directory '\(directory)'", file: path)
        }
        let name = URL(fileURLWithPath: target).lastPathComponent
        let temporary = "\(directory)/.\(name).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        // The new file gets the old one's permissions, as writing over it in place would keep them.
        let mode = exists ? mode_t(info.st_mode & 0o7777) : 0o666
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else {
            throw KerasError(.io, "cannot write: \(String(cString: strerror(errno)))", file: path)
        }
        if exists { fchmod(fd, mode) }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        replacement = (temporary, target)
        Self.unfinished.insert(temporary)
    }

    /// Removes the temporary files of every unfinished write (for a command stopped by a signal:
    /// the targets stay as they were).
    package static func discardAllUnfinished() {
        for path in unfinished.removeAll() { unlink(path) }
    }

    /// Appends `bytes`.
    package func write(_ bytes: [UInt8]) throws {
        do { try handle.write(contentsOf: bytes) } catch {
            throw KerasError(.io, "cannot write: \(FileBytes.reason(error))", file: path)
        }
    }

    /// Writes `bytes` over the file's first bytes (only when ``isReplacingAtomically``), then goes
    /// back to the end.
    package func rewriteStart(_ bytes: [UInt8]) throws {
        do {
            let end = try handle.offset()
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: bytes)
            try handle.seek(toOffset: end)
        } catch {
            throw KerasError(.io, "cannot write: \(FileBytes.reason(error))", file: path)
        }
    }

    /// Finishes the file: renames the temporary file over the target, or flushes a special file.
    package func commit() throws {
        guard !done else { return }
        done = true
        guard let replacement else { return }
        Self.unfinished.remove(replacement.temporary)
        do { try handle.close() } catch {
            unlink(replacement.temporary)
            throw KerasError(.io, "cannot write: \(FileBytes.reason(error))", file: path)
        }
        guard rename(replacement.temporary, replacement.target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(replacement.temporary)
            throw KerasError(.io, "cannot write: \(reason)", file: path)
        }
    }

    /// Removes the temporary file of an unfinished write (the target is left as it was).
    package func discard() {
        guard !done else { return }
        done = true
        if let replacement {
            Self.unfinished.remove(replacement.temporary)
            try? handle.close()
            unlink(replacement.temporary)
        }
    }

    deinit { discard() }
}

/// A set of paths shared between threads (a signal handler runs on its own).
private final class TemporaryFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var paths = Set<String>()

    func insert(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    func remove(_ path: String) { lock.withLock { _ = paths.remove(path) } }
    func removeAll() -> Set<String> {
        lock.withLock {
            defer { paths.removeAll() }
            return paths
        }
    }
}
