import Foundation
import Testing
import TestSupport
@testable import KerasImport
import KerasRuntime
import ZIPFoundation

/// Zip files written byte by byte, for the `.keras` reader's checks.
struct TestZip {
    struct Member {
        var name: String
        var stored: [UInt8]
        var method: UInt16 = 0
        var crc: UInt32
        var uncompressedSize: UInt32
        var flags: UInt16 = 0

        /// A member stored uncompressed.
        init(_ name: String, _ bytes: [UInt8]) {
            self.name = name
            stored = bytes
            crc = TestZip.crc32(bytes)
            uncompressedSize = UInt32(bytes.count)
        }

        /// A member deflated as stored DEFLATE blocks (valid DEFLATE that needs no compressor).
        init(deflating name: String, _ bytes: [UInt8]) {
            self.init(name, bytes)
            var out: [UInt8] = []
            var start = 0
            repeat {
                let end = min(bytes.count, start + 65_535)
                let n = UInt16(end - start)
                out += [end == bytes.count ? 0x01 : 0x00, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)]
                out += bytes[start..<end]
                start = end
            } while start < bytes.count
            stored = out
            method = 8
        }
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { le16(UInt16(v & 0xFFFF)) + le16(UInt16(v >> 16)) }

    /// The archive; `entryCount` overrides the count in the end record.
    static func build(_ members: [Member], entryCount: UInt16? = nil, directoryOffsetShift: UInt32 = 0) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        for m in members {
            let offset = UInt32(out.count)
            let name = Array(m.name.utf8)
            let common = le16(20) + le16(m.flags) + le16(m.method) + le16(0) + le16(0x21) + le32(m.crc)
                + le32(UInt32(m.stored.count)) + le32(m.uncompressedSize) + le16(UInt16(name.count)) + le16(0)
            out += le32(0x0403_4B50) + common + name + m.stored
            directory += le32(0x0201_4B50) + le16(0x0314) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + name
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        let count = entryCount ?? UInt16(members.count)
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(count) + le16(count)
            + le32(UInt32(directory.count)) + le32(directoryOffset + directoryOffsetShift) + le16(0)
        return out
    }
}

extension TestZip.Member {
    /// A member whose data is zlib's DEFLATE stream of `zeros` zero bytes followed by `junk` bytes of
    /// padding, declaring `zeros` bytes uncompressed: the padded zip bomb. Its CRC is left at 0, as
    /// no reader should get far enough to check it.
    init(bombNamed name: String, zeros: Int, junk: Int) throws {
        var stream: [UInt8] = []
        _ = try Data.compress(size: Int64(zeros), bufferSize: 1 << 20, provider: { position, size in
            Data(count: min(size, zeros - Int(position)))
        }, consumer: { stream += $0 })
        self.init(name, [])
        self.stored = stream + (0..<junk).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        method = 8
        crc = 0
        uncompressedSize = UInt32(zeros)
    }
}

@Suite("Keras .keras archives")
struct KerasArchiveTests {
    let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-zip-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    let config = Array(#"{"class_name": "Sequential", "config": {"name": "s", "layers": []}}"#.utf8)
    let metadata = Array(#"{"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}"#.utf8)
    let weights: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 100)

    func write(_ bytes: [UInt8], _ name: String = "m.keras") throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The error reading `bytes` as an archive gives (the test fails if there is none).
    func archiveError(_ bytes: [UInt8], limits: KerasArchive.Limits = .init()) throws -> KerasError? {
        let path = try write(bytes)
        do {
            _ = try KerasArchive(path: path, limits: limits)
            Issue.record("the archive was accepted")
            return nil
        } catch let e as KerasError {
            #expect(e.file == path, "the error names the archive: \(e)")
            #expect(!e.description.contains("\n"))
            return e
        }
    }

    @Test("stored and deflated members are read and checked")
    func readsMembers() throws {
        for deflated in [false, true] {
            let members = deflated
                ? [TestZip.Member(deflating: "metadata.json", metadata), TestZip.Member(deflating: "config.json", config),
                   TestZip.Member(deflating: "model.weights.h5", weights)]
                : [TestZip.Member("metadata.json", metadata), TestZip.Member("config.json", config),
                   TestZip.Member("model.weights.h5", weights)]
            let archive = try KerasArchive(path: write(TestZip.build(members)))
            #expect(archive.kerasVersion == "3.15.1")
            #expect(archive.config["class_name"] == .string("Sequential"))
            #expect(archive.weightsImage == weights)
        }
    }

    @Test("members with other names are ignored, whatever their paths; metadata may be missing")
    func otherMembers() throws {
        let archive = try KerasArchive(path: write(TestZip.build([
            TestZip.Member("../../etc/passwd", [1, 2, 3]), TestZip.Member("/abs/config.json", [4]),
            TestZip.Member("config.json", config), TestZip.Member("assets/", []),
        ])))
        #expect(archive.kerasVersion == nil)
        #expect(archive.weightsImage == nil)
    }

    @Test("a truncated archive (the directory cut off) is one clear error")
    func truncated() throws {
        let full = TestZip.build([TestZip.Member("config.json", config), TestZip.Member("model.weights.h5", weights)])
        for cut in [full.count / 2, full.count - 10, 3] {
            let e = try #require(try archiveError(Array(full[..<cut])))
            #expect(e.kind == .format)
            #expect(e.message.contains("truncated") || e.message.contains("damaged"))
        }
    }

    @Test("a member claiming more than the limit is refused before it is read")
    func hugeMember() throws {
        var member = TestZip.Member("config.json", config)
        member.uncompressedSize = 0xFFFF_FFF0
        member.stored = []
        let e = try #require(try archiveError(TestZip.build([member])))
        #expect(e.message.contains("config.json"))
        var limits = KerasArchive.Limits()
        limits.json = 10
        let small = try #require(try archiveError(TestZip.build([TestZip.Member("config.json", config)]), limits: limits))
        #expect(small.message.contains("more than kconv reads"))
    }

    @Test("zip bombs: a deflated member declaring a huge expansion, or inflating past its declared size")
    func zipBombs() throws {
        var bomb = TestZip.Member(deflating: "model.weights.h5", weights)
        bomb.uncompressedSize = 2_000_000_000
        let e = try #require(try archiveError(TestZip.build([TestZip.Member("config.json", config), bomb])))
        #expect(e.message.contains("zip bomb"))
        var liar = TestZip.Member(deflating: "model.weights.h5", weights)
        liar.uncompressedSize = 10
        let e2 = try #require(try archiveError(TestZip.build([TestZip.Member("config.json", config), liar])))
        #expect(e2.message.contains("model.weights.h5"))
    }

    /// The bytes `stream` hands over for the member `name` of the archive at `path`, counted, and
    /// the error that stopped it.
    func inflated(_ path: String, _ name: String, limit: Int, limits: KerasArchive.Limits = .init()) throws -> (bytes: Int, error: KerasError?) {
        let zip = try ZipReader(path: path, limits: limits)
        let entry = try #require(try zip.entries().first { $0.name == name })
        var count = 0
        do {
            try zip.stream(entry, limit: limit) { count += $0.count }
            return (count, nil)
        } catch let e as KerasError {
            return (count, e)
        }
    }

    @Test("a small DEFLATE stream padded with junk (declared sizes that look 199:1) stops at the ratio of what it produces")
    func paddedZipBomb() throws {
        // 32 MiB of zeros deflate to about 32 KiB (1029:1); padded to 32 MiB / 199 bytes, the
        // declared sizes pass any check on them.
        let zeros = 32 << 20
        let bomb = try TestZip.Member(bombNamed: "model.weights.h5", zeros: zeros, junk: zeros / 199)
        let path = try write(TestZip.build([TestZip.Member("config.json", config), bomb]))
        let limits = KerasArchive.Limits()
        #expect(UInt64(bomb.uncompressedSize) <= UInt64(bomb.stored.count) * UInt64(limits.ratio))

        let e = try #require(try archiveError(TestZip.build([TestZip.Member("config.json", config), bomb])))
        #expect(e.kind == .format)
        #expect(e.message.hasPrefix("member model.weights.h5 inflates past "), "\(e)")
        #expect(e.message.contains("zip bomb"))

        // The bytes produced before the reader stops: at most the ratio times what it has read,
        // which is at most one chunk past the stream zlib has used.
        let (bytes, error) = try inflated(path, "model.weights.h5", limit: limits.weights)
        #expect(error?.message.contains("inflates past") == true)
        let bound = max(limits.ratioAllowance, limits.ratio * 2 * ZipReader.chunkSize)
        #expect(bytes > 0 && bytes <= bound, "\(bytes) bytes inflated, bound \(bound)")
    }

    @Test("a member inflating past its declared size or the ceiling stops there")
    func inflationCeiling() throws {
        // A ratio limit out of the way: the declared size and the ceiling are what stop these.
        var limits = KerasArchive.Limits()
        limits.ratio = 1 << 20
        var liar = try TestZip.Member(bombNamed: "model.weights.h5", zeros: 16 << 20, junk: 0)
        liar.uncompressedSize = 3 << 20
        let path = try write(TestZip.build([TestZip.Member("config.json", config), liar]))
        let (bytes, error) = try inflated(path, "model.weights.h5", limit: 4 << 20, limits: limits)
        #expect(error?.message.hasSuffix("member model.weights.h5 inflates past its recorded \(3 << 20) bytes") == true, "\(String(describing: error))")
        #expect(bytes <= 3 << 20)

        // Declaring more than the ceiling: refused before a byte is inflated.
        let (none, refused) = try inflated(path, "model.weights.h5", limit: 2 << 20, limits: limits)
        #expect(none == 0)
        #expect(refused?.message.contains("more than kconv reads for it (\(2 << 20))") == true)
    }

    @Test("damaged data: CRC mismatch, broken deflate stream, bad offsets, encrypted members")
    func damagedData() throws {
        var flipped = TestZip.Member("model.weights.h5", weights)
        flipped.stored[20] ^= 0xFF
        #expect(try archiveError(TestZip.build([TestZip.Member("config.json", config), flipped]))?.message.contains("CRC") == true)

        var broken = TestZip.Member(deflating: "config.json", config)
        broken.stored = [0x07] + Array(repeating: 0xFF, count: 40)
        #expect(try archiveError(TestZip.build([broken])) != nil)

        // A deflate stream cut short: the reader must stop, not wait for more input.
        var short = TestZip.Member(deflating: "config.json", config)
        short.stored = Array(short.stored[..<20])
        #expect(try archiveError(TestZip.build([short])) != nil)

        #expect(try archiveError(TestZip.build([TestZip.Member("config.json", config)], directoryOffsetShift: 1000)) != nil)
        #expect(try archiveError(TestZip.build([TestZip.Member("config.json", config)], entryCount: 9)) != nil)

        var encrypted = TestZip.Member("config.json", config)
        encrypted.flags = 1
        #expect(try archiveError(TestZip.build([encrypted]))?.kind == .unsupported)
    }

    @Test("duplicate members, a missing config.json, npz weights")
    func structure() throws {
        let dup = try #require(try archiveError(TestZip.build([TestZip.Member("config.json", config), TestZip.Member("config.json", config)])))
        #expect(dup.message.contains("2 members named config.json"))
        let none = try #require(try archiveError(TestZip.build([TestZip.Member("model.weights.h5", weights)])))
        #expect(none.message.contains("without config.json"))
        let npz = try #require(try archiveError(TestZip.build([TestZip.Member("config.json", config), TestZip.Member("model.weights.npz", [1])])))
        #expect(npz.kind == .unsupported)
        let empty = try #require(try archiveError([]))
        #expect(empty.kind == .format)
    }

    @Test("a .keras file goes through the importer; errors name the file")
    func importer() throws {
        let path = try write(TestZip.build([TestZip.Member("config.json", config)]), "noweights.keras")
        do {
            _ = try KerasImporter.load(path)
            Issue.record("loaded")
        } catch let e as KerasError {
            #expect(e.file == path)
        }
        #expect(throws: KerasError.self) { try KerasImporter.load(path, weights: path) }
    }

    static let cases = Repository.conformanceCases

    /// The members of a conformance case's `.keras` file, read with the test's own zip code.
    func members(ofCase name: String) throws -> [String: [UInt8]] {
        let path = KerasArchiveTests.cases.appendingPathComponent("\(name)/model.keras").path
        let reader = try ZipReader(path: path, limits: .init())
        var out: [String: [UInt8]] = [:]
        for e in try reader.entries() { out[e.name] = try reader.read(e, limit: 1 << 30) }
        return out
    }

    func outputs(_ path: String, case name: String) throws -> [Tensor] {
        let dir = KerasArchiveTests.cases.appendingPathComponent(name)
        let input = try Npy.read(dir.appendingPathComponent("input_0.npy"))
        return try KerasImporter.load(path).predict([input])
    }

    @Test("a Keras-written .keras re-zipped with deflate, members reordered and extra members, gives the same outputs")
    func rezipped() throws {
        let name = "k3_gru"
        let m = try members(ofCase: name)
        let weights = try #require(m["model.weights.h5"]), config = try #require(m["config.json"])
        let path = try write(TestZip.build([
            TestZip.Member(deflating: "model.weights.h5", weights), TestZip.Member("assets/readme.txt", [1]),
            TestZip.Member(deflating: "config.json", config), TestZip.Member("metadata.json", try #require(m["metadata.json"])),
        ]), "rezipped.keras")
        let original = KerasArchiveTests.cases.appendingPathComponent("\(name)/model.keras").path
        #expect(try outputs(path, case: name) == outputs(original, case: name))
    }

    @Test("a .keras without metadata.json is read as Keras 3; a damaged weights member is one error naming the file")
    func metadataAndDamagedWeights() throws {
        let name = "k3_hard_sigmoid"
        let m = try members(ofCase: name)
        let config = try #require(m["config.json"]), weights = try #require(m["model.weights.h5"])
        let noMeta = try write(TestZip.build([TestZip.Member("config.json", config), TestZip.Member("model.weights.h5", weights)]), "nometa.keras")
        let imported = try KerasImporter.load(noMeta)
        #expect(imported.graph.kerasVersion.isKeras3 && imported.graph.kerasVersion.hardSigmoidIsKeras3)
        let original = KerasArchiveTests.cases.appendingPathComponent("\(name)/model.keras").path
        #expect(try outputs(noMeta, case: name) == outputs(original, case: name))

        let half = try write(TestZip.build([TestZip.Member("config.json", config),
                                            TestZip.Member("model.weights.h5", Array(weights[..<(weights.count / 2)]))]), "half.keras")
        do {
            _ = try KerasImporter.load(half)
            Issue.record("a half weights file loaded")
        } catch let e as KerasError {
            #expect(e.description.hasPrefix(half))
            #expect(!e.description.contains("\n"))
        }
    }

    @Test("Keras 3 JSON with a .weights.h5; the .weights.h5 alone is refused clearly")
    func jsonWithKeras3Weights() throws {
        let dir = KerasArchiveTests.cases.appendingPathComponent("k3_json_weights")
        let weights = dir.appendingPathComponent("model.weights.h5").path
        let imported = try KerasImporter.load(dir.appendingPathComponent("model.json").path, weights: weights)
        #expect(imported.graph.kerasVersion.isKeras3)
        do {
            _ = try KerasImporter.load(weights)
            Issue.record("a weights-only file loaded")
        } catch let e as KerasError {
            #expect(e.file == weights && e.message.contains("weights-only"))
        }
    }

    @Test("a missing sublayer group, or variables in a sublayer group kconv does not know, is one clear error")
    func sublayerGroups() throws {
        // Tests/Fixtures/keras3_sublayers: k3_mha_keras edited by Tools/fixtures/make_sublayer_fixtures.py.
        let fixtures = Repository.fixtures("keras3_sublayers")
        let missing = fixtures.appendingPathComponent("missing_key_dense.keras").path
        do {
            _ = try KerasImporter.load(missing)
            Issue.record("a .keras without its key projection loaded")
        } catch let e as KerasError {
            #expect(e.kind == .format && e.description.hasPrefix(missing))
            #expect(e.message.contains("layer 'mha' (MultiHeadAttention): its key projection") &&
                    e.message.contains("/layers/multi_head_attention/key_dense") &&
                    e.message.contains("/layers/multi_head_attention/_key_dense"), "\(e)")
        }
        let extra = fixtures.appendingPathComponent("extra_gate_dense.keras").path
        do {
            _ = try KerasImporter.load(extra)
            Issue.record("a .keras with an unknown sublayer's variables loaded")
        } catch let e as KerasError {
            #expect(e.kind == .unsupported && e.description.hasPrefix(extra))
            #expect(e.message.contains("layer 'mha' (MultiHeadAttention)") &&
                    e.message.contains("/layers/multi_head_attention/_gate_dense"), "\(e)")
        }
    }

    @Test("snake_case class names as Keras' naming.to_snake_case")
    func snakeCase() {
        let expected = [
            "Dense": "dense", "Conv2D": "conv2d", "ConvLSTM2D": "conv_lstm2d", "SimpleRNN": "simple_rnn",
            "PReLU": "p_re_lu", "ReLU": "re_lu", "LeakyReLU": "leaky_re_lu", "UpSampling2D": "up_sampling2d",
            "BatchNormalization": "batch_normalization", "GlobalAveragePooling1D": "global_average_pooling1d",
            "LSTM": "lstm", "GRU": "gru", "InputLayer": "input_layer", "TimeDistributed": "time_distributed",
            "Bidirectional": "bidirectional", "MultiHeadAttention": "multi_head_attention", "Functional": "functional",
            "Sequential": "sequential", "Conv1DTranspose": "conv1d_transpose", "CuDNNLSTM": "cu_dnnlstm",
        ]
        for (cls, snake) in expected {
            #expect(Keras3Weights.snakeCase(cls) == snake, "\(cls)")
        }
    }
}
