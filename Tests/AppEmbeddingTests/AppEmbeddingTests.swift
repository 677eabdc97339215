import Crypto
import Foundation
import KerasRuntime
import Testing

/// Written as an app would be: KerasRuntime next to swift-crypto. `SHA256` must mean Crypto's
/// alone (KerasRuntime once had its own, and this file did not compile: "ambiguous use").
@Suite("An app using KerasRuntime with swift-crypto")
struct AppEmbeddingTests {
    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test("SHA256.hash(data:) is swift-crypto's and gives Python hashlib's digests")
    func sha256() throws {
        // Python: hashlib.sha256(b"abc").hexdigest()
        #expect(Self.hex(SHA256.hash(data: Data("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("fingerprinting a KerasRuntime tensor's float32 bytes")
    func tensorFingerprint() throws {
        let samples = try Tensor(shape: [1, 3], scalars: [0.25, -1, 2])
        let bytes = samples.scalars.withUnsafeBytes { Data($0) }  // little-endian float32 on every supported platform
        // Python: hashlib.sha256(struct.pack('<3f', 0.25, -1.0, 2.0)).hexdigest()
        #expect(Self.hex(SHA256.hash(data: bytes)) == "d9693366ec18655359e315ccdedf955887306a2cadc444b53e66c3f5a0072ec7")
    }
}
