import Foundation
import Testing
import TestSupport
@testable import KerasRuntime

/// The numpy-written files of `Tools/fixtures/make_npy_fixtures.py`.
///
/// They live in `Tests/Fixtures/npy`, outside the test target, so SwiftPM does not warn about
/// unhandled files.
private let npyFixtures = Repository.fixtures("npy")

private func fixture(_ name: String) -> URL { npyFixtures.appendingPathComponent(name) }

private func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixture(name)))
}

/// The error `body` throws, or nil (recording an issue) when it returns.
private func npyError(
    _ body: () throws -> Tensor, sourceLocation: SourceLocation = #_sourceLocation
) -> KerasError? {
    do {
        let t = try body()
        Issue.record("expected an error, read \(t.shape) \(t.scalars)", sourceLocation: sourceLocation)
        return nil
    } catch let error as KerasError {
        return error
    } catch {
        Issue.record("expected a KerasError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// `.npy` bytes with a hand-written header (version 1.0 unless told), padded as numpy pads.
private func handMadeNpy(_ header: String, data: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
    var text = Array(header.utf8)
    let fieldSize = version == 1 ? 2 : 4
    while (6 + 2 + fieldSize + text.count + 1) % 64 != 0 { text.append(0x20) }
    text.append(0x0A)
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    for i in 0..<fieldSize { out.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
    return out + text + data
}

private func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

@Suite("Npy reading numpy's files")
struct NpyReadTests {
    @Test("float32 2x3, with -0 and infinity")
    func float32() throws {
        let t = try Npy.read(fixture("f4_2x3.npy"))
        #expect(t.shape == [2, 3])
        #expect(bits(t.scalars) == bits([1.5, -2.0, 0.25, 1e-3, -0.0, .infinity]))
    }

    @Test("float64 is rounded to float32; out-of-range becomes infinity")
    func float64() throws {
        let t = try Npy.read(fixture("f8_4.npy"))
        #expect(t.shape == [4])
        #expect(bits(t.scalars) == bits([Float(0.1 as Double), -2.5, .infinity, 0]))
    }

    @Test("int32 converts to the nearest float32")
    func int32() throws {
        let t = try Npy.read(fixture("i4_4.npy"))
        #expect(t.shape == [4])
        #expect(t.scalars == [-3, 0, 7, 2_147_483_648])
    }

    @Test("int64 converts to the nearest float32")
    func int64() throws {
        let t = try Npy.read(fixture("i8_2x2.npy"))
        #expect(t.shape == [2, 2])
        #expect(t.scalars == [-1_099_511_627_776, 1, 2, 9_007_199_254_740_992])
    }

    @Test("a 0-d scalar")
    func scalar() throws {
        let t = try Npy.read(fixture("scalar_f4.npy"))
        #expect(t.shape == [])
        #expect(t.scalars == [3.25])
    }

    @Test("a zero-size array")
    func empty() throws {
        let t = try Npy.read(fixture("empty_f4_0x3.npy"))
        #expect(t.shape == [0, 3])
        #expect(t.scalars.isEmpty)
    }

    @Test("NaN is kept")
    func nan() throws {
        let t = try Npy.read(fixture("nan_f4.npy"))
        #expect(t.shape == [2])
        #expect(t.scalars[0].isNaN)
        #expect(t.scalars[1] == 1)
    }

    @Test("format versions 2.0 and 3.0")
    func versions() throws {
        #expect(try fixtureBytes("v2_f4.npy")[6] == 2)
        #expect(try fixtureBytes("v3_f4.npy")[6] == 3)
        let v2 = try Npy.read(fixture("v2_f4.npy"))
        #expect(v2.shape == [3])
        #expect(v2.scalars == [1, 2, 3])
        let v3 = try Npy.read(fixture("v3_f4.npy"))
        #expect(v3.shape == [2, 1])
        #expect(v3.scalars == [4, 5])
    }

    @Test("reading from bytes and from Data agree with reading the file")
    func fromMemory() throws {
        let bytes = try fixtureBytes("f4_2x3.npy")
        let fromFile = try Npy.read(fixture("f4_2x3.npy"))
        #expect(try Npy.read(bytes: bytes, name: "x.npy") == fromFile)
        #expect(try Npy.read(data: Data(bytes), name: "x.npy") == fromFile)
    }

    @Test(
        "unsupported dtypes are a clear error naming the file",
        arguments: [
            ("be_f4.npy", ">f4"), ("unicode_u3.npy", "<U3"), ("be_i2.npy", ">i2"),
        ]
    )
    func unsupportedDtype(file: String, descr: String) throws {
        let path = fixture(file).path
        let error = try #require(npyError { try Npy.read(fixture(file)) })
        #expect(error.kind == .unsupported)
        #expect(error.file == path)
        #expect(error.message.contains("dtype '\(descr)' is not supported (kconv reads little-endian float16/float32/float64, int8/int16/int32/int64, uint8/uint16 and bool)"))
    }

    @Test("int8, uint8, int16, uint16, float16 and bool arrays read as numpy's astype(np.float32), bit for bit",
          arguments: ["i1", "u1", "i2", "u2", "f2", "b1"])
    func narrowDtypes(name: String) throws {
        let ours = try Npy.read(fixture("narrow_\(name).npy"))
        let numpy = try Npy.read(fixture("narrow_\(name)_as_f4.npy"))
        #expect(ours.shape == numpy.shape)
        #expect(ours.scalars.map(\.bitPattern) == numpy.scalars.map(\.bitPattern))
    }

    @Test("big-endian files get a conversion hint")
    func bigEndianHint() throws {
        let error = try #require(npyError { try Npy.read(fixture("be_f4.npy")) })
        #expect(error.message.contains("astype('<f4')"))
    }

    @Test("structured dtypes are a clear error")
    func structured() throws {
        let error = try #require(npyError { try Npy.read(fixture("structured.npy")) })
        #expect(error.kind == .unsupported)
        #expect(error.message.contains("structured"))
    }

    @Test("Fortran order is a clear error")
    func fortran() throws {
        let error = try #require(npyError { try Npy.read(fixture("fortran_f4.npy")) })
        #expect(error.kind == .unsupported)
        #expect(error.file == fixture("fortran_f4.npy").path)
        #expect(error.message.contains("Fortran"))
    }
}

@Suite("Npy rejecting bad files")
struct NpyBadFileTests {
    @Test("a missing file is an io error")
    func missing() throws {
        let url = npyFixtures.appendingPathComponent("does-not-exist.npy")
        let error = try #require(npyError { try Npy.read(url) })
        #expect(error.kind == .io)
        #expect(error.file == url.path)
        #expect(error.message.contains("no such file"))
    }

    @Test("a directory is an io error")
    func directory() throws {
        let error = try #require(npyError { try Npy.read(npyFixtures) })
        #expect(error.kind == .io)
    }

    @Test("every truncation of a valid file is a format error naming the file")
    func everyTruncation() throws {
        let bytes = try fixtureBytes("f4_2x3.npy")
        for length in 0..<bytes.count {
            let error = npyError { try Npy.read(bytes: Array(bytes[..<length]), name: "cut.npy") }
            #expect(error?.kind == .format, "length \(length): \(String(describing: error))")
            #expect(error?.file == "cut.npy")
        }
        let dataCut = npyError { try Npy.read(bytes: Array(bytes.dropLast()), name: "cut.npy") }
        #expect(dataCut?.message.contains("truncated") == true)
    }

    @Test("bytes after the data are a format error")
    func trailingBytes() throws {
        let bytes = try fixtureBytes("f4_2x3.npy") + [0]
        let error = try #require(npyError { try Npy.read(bytes: bytes, name: "long.npy") })
        #expect(error.kind == .format)
        #expect(error.message.contains("1 byte after the data"))
    }

    @Test("a header length past the end of the file is a format error")
    func headerLengthPastEnd() throws {
        var bytes = try fixtureBytes("f4_2x3.npy")
        bytes[8] = 0xFF
        bytes[9] = 0xFF
        let error = try #require(npyError { try Npy.read(bytes: bytes, name: "h.npy") })
        #expect(error.kind == .format)
        #expect(error.message.contains("header claims 65535 bytes"))
        var v2 = try fixtureBytes("v2_f4.npy")
        v2[8...11] = [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(npyError { try Npy.read(bytes: v2, name: "h.npy") }?.kind == .format)
    }

    @Test("a file that is not .npy is a format error")
    func notNpy() throws {
        let error = try #require(npyError { try Npy.read(bytes: Array("hello, world\n".utf8), name: "t.txt") })
        #expect(error.kind == .format)
        #expect(error.file == "t.txt")
        #expect(error.message.contains("not a .npy file"))
        #expect(npyError { try Npy.read(bytes: [], name: "e.npy") }?.message.contains("empty") == true)
    }

    @Test("an unknown format version is unsupported")
    func unknownVersion() throws {
        var bytes = try fixtureBytes("f4_2x3.npy")
        bytes[6] = 4
        let error = try #require(npyError { try Npy.read(bytes: bytes, name: "v.npy") })
        #expect(error.kind == .unsupported)
        #expect(error.message.contains("version 4.0"))
    }

    @Test(
        "absurd shapes are format errors, never traps",
        arguments: [
            ("(4611686018427387904, 4)", "too large"),  // 2^62 * 4 elements overflows Int
            ("(2305843009213693952,)", "too large"),  // 2^61 elements * 4 bytes overflows Int
            ("(99999999999999999999999,)", "integer too large"),
            ("(-1,)", "negative"),
            ("(-9223372036854775807, -1)", "negative"),
            ("(1000000000, 1000000000)", "needs 4000000000000000000 data bytes"),
            ("(" + String(repeating: "1, ", count: 65) + ")", "at most 64"),
            ("(2.5,)", "non-integer"),
            ("(5)", "not a tuple"),
            ("None", "not a tuple"),
        ]
    )
    func absurdShape(shape: String, message: String) throws {
        let bytes = handMadeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }", data: floatBytes([1, 2]))
        let error = try #require(npyError { try Npy.read(bytes: bytes, name: "s.npy") })
        #expect(error.kind == .format)
        #expect(error.file == "s.npy")
        #expect(error.message.contains(message), "\(error)")
    }

    @Test(
        "malformed headers are format errors",
        arguments: [
            "", "{", "}", "[]", "{'descr': '<f4', 'fortran_order': False}",
            "{'descr': '<f4', 'shape': (2,)}", "{'fortran_order': False, 'shape': (2,)}",
            "{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } trailing",
            "{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'descr': '<f4'}",
            "{'descr: '<f4', 'fortran_order': False, 'shape': (2,)}",
            "{'descr': '<f4', 'fortran_order': Fals, 'shape': (2,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 10_000) + "}",
        ]
    )
    func malformedHeader(header: String) throws {
        let error = try #require(npyError { try Npy.read(bytes: handMadeNpy(header, data: floatBytes([1, 2])), name: "m.npy") })
        #expect(error.kind == .format)
        #expect(error.file == "m.npy")
    }

    @Test("a version 3.0 header that is not UTF-8 is a format error")
    func badUTF8() throws {
        var bytes = handMadeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: floatBytes([1, 2]), version: 3)
        bytes[13] = 0xFF
        #expect(npyError { try Npy.read(bytes: bytes, name: "u.npy") }?.message.contains("UTF-8") == true)
    }

    @Test("corrupting any header byte never traps")
    func corruptedBytes() throws {
        let original = try fixtureBytes("i8_2x2.npy")
        for position in 0..<128 {
            for value: UInt8 in [0x00, 0x20, 0x27, 0x28, 0x2C, 0x2D, 0x39, 0x7D, 0xFF] {
                var bytes = original
                bytes[position] = value
                if let t = try? Npy.read(bytes: bytes, name: "c.npy") {
                    #expect(Tensor.elementCount(t.shape) == t.scalars.count)
                }
            }
        }
    }
}

@Suite("Npy header parsing")
struct NpyHeaderTests {
    @Test(
        "tolerant of order, spacing, quoting and old numpy's forms",
        arguments: [
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
            "{ 'fortran_order' :False,'shape':(2,3),'descr':'<f4' , }",
            "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
            "{u'descr': u'<f4', u'fortran_order': False, u'shape': (2L, 3L), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], 'extra': None, }\n",
        ]
    )
    func tolerant(text: String) throws {
        let header = try Npy.parseHeader(text)
        #expect(header == Npy.Header(descr: "<f4", fortranOrder: false, shape: [2, 3]))
    }

    @Test("scalar and one-dimensional shapes")
    func shapes() throws {
        #expect(try Npy.parseHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (), }").shape == [])
        #expect(try Npy.parseHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (5,), }").shape == [5])
        #expect(try Npy.parseHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (5,), }").fortranOrder)
    }
}

@Suite("Npy writing")
struct NpyWriteTests {
    @Test(
        "encoding is byte-for-byte what np.save writes",
        arguments: ["f4_2x3.npy", "scalar_f4.npy", "empty_f4_0x3.npy", "nan_f4.npy"]
    )
    func identicalToNumpy(file: String) throws {
        let bytes = try fixtureBytes(file)
        let tensor = try Npy.read(bytes: bytes, name: file)
        #expect(Npy.encode(tensor) == bytes)
    }

    @Test("the header block is a multiple of 64 bytes and ends in a newline")
    func alignment() throws {
        let shapes: [[Int]] = [[], [0], [7], [2, 3], [123_456_789, 1], Array(repeating: 1, count: 64), [Int.max]]
        for shape in shapes {
            let header = Npy.header(shape: shape)
            #expect(header.count % 64 == 0, "\(shape)")
            #expect(header.last == 0x0A)
            #expect(header[6] == 1)
            #expect(Int(header[8]) | Int(header[9]) << 8 == header.count - 10)
            let text = String(decoding: header[10...], as: UTF8.self)
            #expect(try Npy.parseHeader(text) == Npy.Header(descr: "<f4", fortranOrder: false, shape: shape))
        }
    }

    @Test("shape tuples are formatted like numpy's")
    func shapeText() {
        #expect(Npy.shapeText([]) == "()")
        #expect(Npy.shapeText([2]) == "(2,)")
        #expect(Npy.shapeText([2, 3]) == "(2, 3)")
    }

    @Test("write then read gives back the same bits")
    func roundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kconv-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tensors = [
            try Tensor(shape: [2, 3, 2], scalars: (0..<12).map { Float($0) * 0.37 - 2 }),
            try Tensor(shape: [4], scalars: [.nan, -.infinity, -0.0, .leastNonzeroMagnitude]),
            try Tensor(shape: [], scalars: [42]),
            try Tensor(shape: [3, 0], scalars: []),
        ]
        for (i, tensor) in tensors.enumerated() {
            let url = directory.appendingPathComponent("t\(i).npy")
            try Npy.write(tensor, to: url)
            try Npy.write(tensor, to: url)  // Replacing an existing file works too.
            let back = try Npy.read(url)
            #expect(back.shape == tensor.shape)
            #expect(bits(back.scalars) == bits(tensor.scalars))
            #expect([UInt8](try Data(contentsOf: url)) == Npy.encode(tensor))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers.sorted() == ["t0.npy", "t1.npy", "t2.npy", "t3.npy"])
    }

    @Test("writing into a missing directory is an io error")
    func missingDirectory() throws {
        let url = URL(fileURLWithPath: "/nonexistent-kconv-dir/out.npy")
        do {
            try Npy.write(Tensor([1]), to: url)
            Issue.record("expected an error")
        } catch let error as KerasError {
            #expect(error.kind == .io)
            #expect(error.file == url.path)
        }
    }
}
