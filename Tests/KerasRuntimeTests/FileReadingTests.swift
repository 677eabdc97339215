import Foundation
import Testing
@testable import KerasRuntime

/// The one way KerasRuntime reads files (`FileBytes`): the same errors for `.npy` and `.kconv`.
@Suite("Reading files")
struct FileReadingTests {
    /// A file format KerasRuntime reads, and its reader.
    enum Format: String, CaseIterable, Sendable {
        case npy = ".npy", kconv = ".kconv"

        func read(_ url: URL) throws {
            switch self {
            case .npy: _ = try Npy.read(url)
            case .kconv: _ = try KConvFile.read(contentsOf: url)
            }
        }

        func error(reading url: URL) throws -> KerasError {
            try #require(throws: KerasError.self) { try read(url) }
        }
    }

    /// A fresh empty directory; the caller removes it.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a missing file, a directory and an empty file give one clear error each", arguments: Format.allCases)
    func badPaths(_ format: Format) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let missing = directory.appendingPathComponent("missing\(format.rawValue)")
        let e1 = try format.error(reading: missing)
        #expect(e1.kind == .io)
        #expect(e1.description == "\(missing.path): no such file")

        let e2 = try format.error(reading: directory)
        #expect(e2.kind == .io)
        #expect(e2.description == "\(directory.path): is a directory, not a \(format.rawValue) file")

        let empty = directory.appendingPathComponent("empty\(format.rawValue)")
        try Data().write(to: empty)
        let e3 = try format.error(reading: empty)
        #expect(e3.kind == .format)
        #expect(e3.description == "\(empty.path): the file is empty (0 bytes), not a \(format.rawValue) file")
    }

    @Test("a loaded model does not depend on its file: truncating or replacing it afterwards changes nothing")
    func fileChangedAfterLoading() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("mlp.kconv")
        let bytes = try KConvFixtures.mlpBytes()
        try Data(bytes).write(to: url)
        let model = try KerasModel(contentsOf: url)
        let x = KConvFixtures.tensor([4, 3], seed: 21)
        let before = try model.predict(x)

        // Truncated in place (what kills a process that mapped the file), then overwritten.
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 16)
        try handle.close()
        #expect(try model.predict(x) == before)
        #expect(try Format.kconv.error(reading: url).message.contains("truncated"))

        try Data(repeating: 0xAB, count: bytes.count).write(to: url)
        #expect(try model.predict(x) == before)
        #expect(try Format.kconv.error(reading: url).kind == .format)
    }

    @Test("a .kconv file read tensor by tensor gives the same model, and the same errors, as its bytes in memory")
    func fileAndMemoryAgree() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("mlp.kconv")
        let bytes = try KConvFixtures.mlpBytes()
        try Data(bytes).write(to: url)
        let x = KConvFixtures.tensor([4, 3], seed: 21)
        let fromFile = try KConvFile.read(contentsOf: url)
        let fromMemory = try KConvFile.decode(bytes, name: url.path)
        #expect(fromFile.metadata == fromMemory.metadata)
        #expect(fromFile.graph.layers.map { $0.weights.map(\.tensor) } == fromMemory.graph.layers.map { $0.weights.map(\.tensor) })
        #expect(try KerasModel(contentsOf: url).predict(x) == KerasModel(graph: fromMemory.graph, provenance: nil).predict(x))

        // Cut anywhere (in the length, the header, a tensor) and with a byte changed in the header.
        var damaged = [1, 7, 8, 9, 20, bytes.count / 2, bytes.count - 1].map { Array(bytes.prefix($0)) }
        var flipped = bytes
        flipped[12] ^= 0x20
        damaged.append(flipped)
        for b in damaged {
            try Data(b).write(to: url)
            let onDisk = try #require(throws: KerasError.self) { try KConvFile.read(contentsOf: url) }
            let inMemory = try #require(throws: KerasError.self) { try KConvFile.decode(b, name: url.path) }
            #expect(onDisk.description == inMemory.description, "\(b.count) bytes")
            #expect(onDisk.kind == inMemory.kind)
        }
    }
}
