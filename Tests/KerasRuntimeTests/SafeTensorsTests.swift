import Foundation
import Testing
@testable import KerasRuntime

/// The safetensors container under `.kconv`: damaged and hostile bytes, read through `KConvFile.decode`
/// as an app would meet them.
@Suite("safetensors: damaged and hostile files")
struct SafeTensorsTests {
    @Test("every truncation of a file is a clear error")
    func truncated() throws {
        let bytes = try KConvFixtures.mlpBytes()
        for cut in 0..<bytes.count {
            let e = try #require(KConvFixtures.error(Array(bytes[0..<cut])), "cut at \(cut)")
            #expect(e.description.hasPrefix("bad.kconv: "))
            #expect(!e.description.contains("\n"))
            if cut < 8 { #expect(e.message.contains("too short")) }
            if cut >= 8 && cut < 8 + Int(SafeTensors.readLength(bytes)) { #expect(e.message.contains("header length"), "\(e)") }
        }
        #expect(KConvFixtures.error(bytes) == nil)
        #expect(KConvFixtures.error(bytes + [0]) != nil)  // Trailing bytes are not covered by any tensor.
    }

    @Test("a header length past the end or absurdly large")
    func headerLength() throws {
        let bytes = try KConvFixtures.mlpBytes()
        for n: UInt64 in [UInt64(bytes.count), UInt64(bytes.count - 7), 100_000_001, UInt64(Int.max), UInt64.max] {
            var b = bytes
            for i in 0..<8 { b[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
            let e = try #require(KConvFixtures.error(b), "length \(n)")
            #expect(e.kind == .format)
            #expect(e.message.contains("header"), "\(e)")
        }
        var zero = bytes
        for i in 0..<8 { zero[i] = 0 }
        #expect(try #require(KConvFixtures.error(zero)).message.contains("not a JSON object"))
    }

    @Test("a header that is not JSON, or not an object")
    func notJSON() throws {
        let data = [UInt8](repeating: 0, count: 16)
        for header in ["{not json", "{\"a\": [1, 2}", "{\"x\": 1}} ", "[1, 2]", String(repeating: "[", count: 10_000)] {
            let e = try #require(KConvFixtures.error(KConvFixtures.assemble(Array(header.utf8), data)), "\(header.prefix(20))")
            #expect(e.kind == .format, "\(e)")
        }
        let e = try #require(KConvFixtures.error(KConvFixtures.assemble(Array("{\"a\": [1, 2}".utf8), data)))
        #expect(e.message.contains("not valid JSON"), "\(e)")
        // Invalid UTF-8 inside a string does not trap.
        #expect(KConvFixtures.error(KConvFixtures.assemble([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], data)) != nil)
    }

    @Test("offsets past the end of the data")
    func offsetsPastEnd() throws {
        var parts = try KConvFixtures.Parts(KConvFixtures.mlpBytes())
        parts.set("out/1", "data_offsets", .array([.number(Double(parts.data.count)), .number(Double(parts.data.count + 8))]))
        let e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.message.contains("tensor 'out/1'") && e.message.contains("past the end"), "\(e)")

        parts = try KConvFixtures.Parts(KConvFixtures.mlpBytes())
        parts.set("out/1", "data_offsets", .array([.number(8), .number(1e15)]))
        #expect(try #require(KConvFixtures.error(parts.bytes)).message.contains("past the end"))
    }

    @Test("overlapping offsets, gaps, end before begin, negative and non-integer offsets")
    func badOffsets() throws {
        let original = try KConvFixtures.Parts(KConvFixtures.mlpBytes())
        var parts = original
        // hidden/1 (4 floats) made to start inside hidden/0.
        parts.set("hidden/1", "data_offsets", .array([.number(32), .number(48)]))
        var e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.message.contains("overlap"), "\(e)")

        parts = original
        parts.header["hidden/1"] = nil
        e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.message.contains("gap"), "\(e)")

        for offsets: [JSON] in [[.number(48), .number(40)], [.number(-16), .number(0)], [.number(1.5), .number(17.5)],
                                [.string("0"), .number(16)], [.number(48)], [.number(48), .number(64), .number(80)]] {
            parts = original
            parts.set("hidden/1", "data_offsets", .array(offsets))
            e = try #require(KConvFixtures.error(parts.bytes), "\(offsets)")
            #expect(e.message.contains("tensor 'hidden/1'"), "\(e)")
        }
        parts = original
        parts.set("hidden/1", "data_offsets", .array([.number(48), .number(60)]))
        e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.message.contains("span 12 bytes"), "\(e)")
    }

    @Test("shapes whose element count or byte size overflows, and bad shape entries")
    func badShapes() throws {
        let original = try KConvFixtures.Parts(KConvFixtures.mlpBytes())
        for shape: [JSON] in [[.number(4_294_967_296), .number(4_294_967_296)], [.number(Double(1 << 62)), .number(2)],
                              [.number(2_147_483_648), .number(2_147_483_648)], [.number(Double(Int.max / 2)), .number(1)],
                              [.number(1e300)]] {
            var parts = original
            parts.set("hidden/0", "shape", .array(shape))
            let e = try #require(KConvFixtures.error(parts.bytes), "\(shape)")
            #expect(e.message.contains("overflows") || e.message.contains("integers"), "\(e)")
        }
        for shape: JSON in [.array([.number(-3), .number(-4)]), .array([.number(2.5)]), .string("3x4"),
                            .array(Array(repeating: .number(1), count: 65))] {
            var parts = original
            parts.set("hidden/0", "shape", shape)
            let e = try #require(KConvFixtures.error(parts.bytes), "\(shape)")
            #expect(e.message.contains("tensor 'hidden/0'"), "\(e)")
        }
        // A shape that fits its bytes but not the layer.
        var parts = original
        parts.set("hidden/0", "shape", .array([.number(4), .number(3)]))
        let e = try #require(KConvFixtures.error(parts.bytes))
        #expect(e.kind == .shape && e.message.contains("hidden"), "\(e)")
    }

    @Test("dtypes other than F32")
    func wrongDtype() throws {
        let original = try KConvFixtures.Parts(KConvFixtures.mlpBytes())
        for dtype in ["F16", "I64", "BF16", "F64", "f32"] {
            var parts = original
            parts.set("out/0", "dtype", .string(dtype))
            let e = try #require(KConvFixtures.error(parts.bytes))
            #expect(e.kind == .unsupported)
            #expect(e.description == "bad.kconv: tensor 'out/0' has dtype \(dtype); .kconv files hold F32 tensors only")
        }
        var parts = original
        parts.set("out/0", "dtype", .number(1))
        #expect(try #require(KConvFixtures.error(parts.bytes)).message.contains("no dtype"))
    }

    @Test("random byte flips never crash the reader")
    func fuzz() throws {
        let bytes = try KConvFixtures.mlpBytes()
        var rng: UInt64 = 0x1234_5678
        func next() -> Int {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: rng >> 33)
        }
        var failures = 0
        for _ in 0..<2000 {
            var b = bytes
            for _ in 0..<(1 + next() % 4) {
                let i = next() % min(b.count, 8 + Int(SafeTensors.readLength(bytes)) + 16)
                b[i] = UInt8(truncatingIfNeeded: next())
            }
            if KConvFixtures.error(b) != nil { failures += 1 }
        }
        #expect(failures > 0)
    }
}
