import Crypto
import Foundation
import Testing
import TestSupport
@testable import KerasImport
import KerasRuntime

/// The provenance a `.kconv` file records: the source files' names and SHA-256 (swift-crypto,
/// fed in chunks).
@Suite("Provenance of an imported model")
struct ProvenanceTests {
    static let cases = Repository.conformanceCases

    /// `data` in a fresh temporary file; the caller removes it.
    static func temporaryFile(_ data: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-sha-\(UUID().uuidString)")
        try data.write(to: url)
        return url.path
    }

    /// swift-crypto's digest of `data` in one call, as hex: a reference independent of the chunked file reader.
    static func hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test("known answers: a file's digest is Python hashlib's")
    func knownAnswers() throws {
        // From Python: hashlib.sha256(b"abc").hexdigest(), hashlib.sha256(b"").hexdigest() and
        // hashlib.sha256(b"a" * 1_000_000).hexdigest() (FIPS 180-2's test vectors too).
        let vectors: [(Data, String)] = [
            (Data("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (Data(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (Data(repeating: UInt8(ascii: "a"), count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ]
        for (data, digest) in vectors {
            let path = try Self.temporaryFile(data)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try Provenance.sha256Hex(ofFile: path) == digest, "\(data.count) bytes")
        }
    }

    @Test("a file of several chunks hashes as a whole; an unreadable file is an io error")
    func chunks() throws {
        let data = Data((0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })  // 2.5 MiB: three chunks
        let path = try Self.temporaryFile(data)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Provenance.sha256Hex(ofFile: path) == Self.hex(data))
        let e = try #require(throws: KerasError.self) { try Provenance.sha256Hex(ofFile: "/nonexistent/model.h5") }
        #expect(e.description == "/nonexistent/model.h5: cannot be read")
    }

    @Test("a Keras file's provenance names it and its SHA-256, with a JSON architecture's weights file; a .kconv keeps its own")
    func provenance() throws {
        let h5 = Self.cases.appendingPathComponent("cnn_lstm/model.h5")
        let imported = try KerasImporter.load(h5.path)
        let p = try #require(imported.provenance)
        #expect(p.sourceName == "model.h5")
        #expect(p.sourceSHA256 == Self.hex(try Data(contentsOf: h5)))
        #expect(p.kerasVersion == "2.21.0")
        #expect(p.weightsName == nil && p.weightsSHA256 == nil)

        let json = Self.cases.appendingPathComponent("conv1d_lstm_json/model.json")
        let weights = Self.cases.appendingPathComponent("conv1d_lstm_json/weights.h5")
        let pj = try #require(try KerasImporter.load(json.path, weights: weights.path).provenance)
        #expect(pj.sourceName == "model.json")
        #expect(pj.sourceSHA256 == Self.hex(try Data(contentsOf: json)))
        #expect(pj.weightsName == "weights.h5")
        #expect(pj.weightsSHA256 == Self.hex(try Data(contentsOf: weights)))

        let kconv = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-prov-\(UUID().uuidString).kconv")
        defer { try? FileManager.default.removeItem(at: kconv) }
        try imported.write(to: kconv)
        #expect(try KerasImporter.load(kconv.path).provenance == p)
    }
}
