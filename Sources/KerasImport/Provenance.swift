internal import Crypto
import Foundation
import KerasRuntime

extension Provenance {
    /// The origin of a model read from Keras files: the Keras version and backend they record, and
    /// the name and SHA-256 of the model file (and of a JSON architecture's weights file).
    init(kerasVersion: String, backend: String?, model path: String, weights weightsPath: String?) throws {
        self.init(kerasVersion: kerasVersion, backend: backend,
                  sourceName: Self.fileName(path), sourceSHA256: try Self.sha256Hex(ofFile: path),
                  weightsName: weightsPath.map(Self.fileName),
                  weightsSHA256: try weightsPath.map { try Self.sha256Hex(ofFile: $0) })
    }

    /// The name of the file at `path`, without its directory.
    static func fileName(_ path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent
    }

    /// The SHA-256 of the file at `path` as 64 lowercase hex digits, read in 1 MiB chunks so that a
    /// large model is never held in memory whole.
    static func sha256Hex(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KerasError(.io, "cannot be read", file: path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw KerasError(.io, "cannot be read", file: path)
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
