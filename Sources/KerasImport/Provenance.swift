internal import Crypto
import Foundation
import KerasRuntime

extension ImportedModel {
    /// What a `.kconv` file converted from this model records as its origin: the Keras version and
    /// backend, and the name and SHA-256 of the model file (and of a JSON architecture's weights
    /// file). A model read from a `.kconv` file keeps the provenance stored in it.
    public func provenance() throws(KerasError) -> KConvFile.Provenance {
        if let stored = converted?.provenance { return stored }
        return KConvFile.Provenance(
            kerasVersion: kerasVersion.string, backend: backend,
            sourceName: Self.fileName(modelPath), sourceSHA256: try Self.sha256Hex(ofFile: modelPath),
            weightsName: weightsPath.map(Self.fileName),
            weightsSHA256: try weightsPath.map { path throws(KerasError) in try Self.sha256Hex(ofFile: path) })
    }

    /// The name of the file at `path`, without its directory.
    static func fileName(_ path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent
    }

    /// The SHA-256 of the file at `path` as 64 lowercase hex digits, read in 1 MiB chunks so that a
    /// large model is never held in memory whole.
    static func sha256Hex(ofFile path: String) throws(KerasError) -> String {
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
