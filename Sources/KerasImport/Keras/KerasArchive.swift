import Foundation
import KerasRuntime
import ZIPFoundation

/// The members of a Keras 3 `.keras` zip archive that kconv needs, read into memory
/// (KERAS_FORMATS.md 1d): `config.json`, `metadata.json` and `model.weights.h5`.
///
/// The archive may be hostile, so nothing in it is trusted: the zip directory is parsed here
/// with every offset and size checked against the file, only the members named above are read
/// (nothing is ever extracted to disk, so member paths cannot escape anywhere), and each member is
/// read as a stream, a chunk at a time, with its bytes counted as they are produced: at most its
/// declared size, at most an absolute ceiling (`Limits`), and when deflated at most a ratio of the
/// compressed bytes actually read (a zip bomb stops within its first chunks, whatever sizes it
/// declares), with the CRC-32 computed on the way. Stored members (what Keras writes) are read
/// directly; deflated ones are inflated by ZIPFoundation's zlib loop.
struct KerasArchive {
    /// The parsed `config.json`.
    let config: JSON
    /// `metadata.json`'s `keras_version`, if the archive has one.
    let kerasVersion: String?
    /// The bytes of `model.weights.h5`, if the archive has it.
    let weightsImage: [UInt8]?

    static let configName = "config.json"
    static let metadataName = "metadata.json"
    static let weightsName = "model.weights.h5"

    /// Limits for one member's uncompressed size: `json` and `weights` are absolute ceilings,
    /// checked against the declared size before reading and against the bytes produced while reading.
    struct Limits {
        var json = 64 << 20
        var weights = 4 << 30
        /// A deflated member may expand at most this much (Keras stores members uncompressed),
        /// counted against the compressed bytes actually read while it inflates...
        var ratio = 200
        /// ...beyond its first this many bytes, which any member may inflate to.
        var ratioAllowance = 1 << 20
        /// The zip directory: at most this many entries and bytes.
        var entries = 65_536
        var directoryBytes = 64 << 20
    }

    init(path: String, limits: Limits = Limits()) throws {
        let zip = try ZipReader(path: path, limits: limits)
        let entries = try zip.entries()
        func member(_ name: String) throws -> ZipReader.Entry? {
            let found = entries.filter { $0.name == name }
            guard found.count <= 1 else {
                throw KerasError(.format, "is not a valid .keras archive: it has \(found.count) members named \(name)", file: path)
            }
            return found.first
        }
        guard let configEntry = try member(Self.configName) else {
            let names = entries.prefix(5).map(\.name).joined(separator: ", ")
            throw KerasError(.format, "is a zip archive without \(Self.configName), so not a Keras .keras model (members: \(names.isEmpty ? "none" : names))", file: path)
        }
        let configBytes = try zip.read(configEntry, limit: limits.json)
        config = try JSON(parsing: configBytes, what: "\(Self.configName) in the archive")
        if let metaEntry = try member(Self.metadataName) {
            let meta = try JSON(parsing: try zip.read(metaEntry, limit: limits.json), what: "\(Self.metadataName) in the archive")
            kerasVersion = meta["keras_version"]?.stringValue
        } else {
            kerasVersion = nil
        }
        if let weightsEntry = try member(Self.weightsName) {
            weightsImage = try zip.read(weightsEntry, limit: limits.weights)
        } else if entries.contains(where: { $0.name == "model.weights.npz" || $0.name.hasSuffix(".weights.json") }) {
            throw KerasError(.unsupported, "stores its weights as npz or sharded files; kconv reads the default model.weights.h5", file: path)
        } else {
            weightsImage = nil
        }
    }
}

/// A read-only view of a zip file's central directory, with every field bounds-checked.
struct ZipReader {
    struct Entry {
        let name: String
        let method: UInt16
        let flags: UInt16
        let crc32: UInt32
        let compressedSize: UInt64
        let uncompressedSize: UInt64
        let localHeaderOffset: UInt64
    }

    let path: String
    let handle: FileHandle
    let fileSize: UInt64
    let limits: KerasArchive.Limits

    init(path: String, limits: KerasArchive.Limits) throws {
        self.path = path
        self.limits = limits
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KerasError(.io, "cannot be read", file: path)
        }
        self.handle = handle
        do {
            fileSize = try handle.seekToEnd()
        } catch {
            throw KerasError(.io, "cannot be read", file: path)
        }
    }

    private func damaged(_ what: String) -> KerasError {
        KerasError(.format, "is a damaged or truncated zip archive: \(what)", file: path)
    }

    /// Exactly `count` bytes at `offset`, or an error if the file is shorter.
    private func bytes(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count >= 0, offset <= fileSize, UInt64(count) <= fileSize - offset else {
            throw damaged("a record at byte \(offset) runs past the end of the file (\(fileSize) bytes)")
        }
        do {
            try handle.seek(toOffset: offset)
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else { throw damaged("short read at byte \(offset)") }
            return [UInt8](data)
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError(.io, "cannot be read at byte \(offset)", file: path)
        }
    }

    /// The central directory's entries.
    func entries() throws -> [Entry] {
        // End of central directory: 22 bytes plus a comment of at most 65535 bytes.
        let tailLength = Int(min(fileSize, 22 + 65_535))
        let tail = try bytes(at: fileSize - UInt64(tailLength), count: tailLength)
        guard tail.count >= 22, let eocd = stride(from: tail.count - 22, through: 0, by: -1)
            .first(where: { ByteReader(tail, at: $0).u32(0) == 0x0605_4B50 }) else {
            throw damaged("its end-of-directory record is missing (the file was cut short?)")
        }
        let end = ByteReader(tail, at: eocd)
        var count = UInt64(end.u16(10))
        var directorySize = UInt64(end.u32(12))
        var directoryOffset = UInt64(end.u32(16))
        let eocdOffset = fileSize - UInt64(tailLength) + UInt64(eocd)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a 20-byte locator right before the record points to the ZIP64 record.
            guard eocdOffset >= 20 else { throw damaged("its ZIP64 locator is missing") }
            let locator = ByteReader(try bytes(at: eocdOffset - 20, count: 20), at: 0)
            guard locator.u32(0) == 0x0706_4B50 else { throw damaged("its ZIP64 locator is missing") }
            let record = ByteReader(try bytes(at: locator.u64(8), count: 56), at: 0)
            guard record.u32(0) == 0x0606_4B50 else { throw damaged("its ZIP64 directory record is missing") }
            count = record.u64(32)
            directorySize = record.u64(40)
            directoryOffset = record.u64(48)
        }
        guard count <= UInt64(limits.entries) else {
            throw KerasError(.format, "is a zip archive with \(count) members, more than a Keras model has (limit \(limits.entries))", file: path)
        }
        guard directorySize <= UInt64(limits.directoryBytes) else {
            throw KerasError(.format, "is a zip archive with a \(directorySize)-byte directory, larger than kconv accepts", file: path)
        }
        guard directoryOffset <= eocdOffset, directorySize <= eocdOffset - directoryOffset else {
            throw damaged("its directory lies outside the file")
        }
        let directory = try bytes(at: directoryOffset, count: Int(directorySize))
        var entries: [Entry] = []
        var position = 0
        for _ in 0..<Int(count) {
            guard position <= directory.count - 46 else { throw damaged("its directory is shorter than its entry count") }
            let r = ByteReader(directory, at: position)
            guard r.u32(0) == 0x0201_4B50 else { throw damaged("a directory entry has a bad signature") }
            let nameLength = Int(r.u16(28)), extraLength = Int(r.u16(30)), commentLength = Int(r.u16(32))
            let recordLength = 46 + nameLength + extraLength + commentLength
            guard recordLength <= directory.count - position else { throw damaged("a directory entry runs past the directory") }
            let nameBytes = directory[(position + 46)..<(position + 46 + nameLength)]
            var compressed = UInt64(r.u32(20)), uncompressed = UInt64(r.u32(24)), offset = UInt64(r.u32(42))
            // ZIP64 extended information (header id 1) holds the fields saturated at 0xFFFFFFFF, in order.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let field = ByteReader(directory, at: extra)
                let id = field.u16(0), size = Int(field.u16(2))
                guard extra + 4 + size <= extraEnd else { break }
                if id == 1 {
                    var at = 4
                    func next() throws -> UInt64 {
                        guard at + 8 <= 4 + size else { throw damaged("a ZIP64 field is too short") }
                        defer { at += 8 }
                        return field.u64(at)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if offset == 0xFFFF_FFFF { offset = try next() }
                }
                extra += 4 + size
            }
            entries.append(Entry(name: String(decoding: nameBytes, as: UTF8.self), method: r.u16(10), flags: r.u16(8),
                                 crc32: r.u32(16), compressedSize: compressed, uncompressedSize: uncompressed,
                                 localHeaderOffset: offset))
            position += recordLength
        }
        return entries
    }

    /// The uncompressed bytes of `entry`, at most `limit` of them, CRC-checked. The array grows
    /// with the bytes actually produced (never to the declared size up front), so a member that
    /// lies about its size costs no more memory than the bytes it really inflates to.
    func read(_ entry: Entry, limit: Int) throws -> [UInt8] {
        var output: [UInt8] = []
        // A stored member's bytes are all in the file (checked before reading): its size is known.
        output.reserveCapacity(Int(entry.method == 0 ? min(entry.uncompressedSize, fileSize) : min(entry.uncompressedSize, UInt64(Self.initialCapacity))))
        try stream(entry, limit: limit) { chunk in
            if output.count + chunk.count > output.capacity {
                output.reserveCapacity(Int(min(entry.uncompressedSize, UInt64(2 * output.capacity + chunk.count))))
            }
            output.append(contentsOf: chunk)
        }
        return output
    }

    /// The first allocation for a deflated member's bytes; it doubles as needed up to the declared size.
    static let initialCapacity = 1 << 20
    /// How many bytes are read from the file, and inflated, at a time.
    static let chunkSize = 1 << 16

    /// Hands the uncompressed bytes of `entry` to `consumer` chunk by chunk, checking as they come
    /// that they stay within the member's declared size, within `limit` (the absolute ceiling) and,
    /// for a deflated member, within `limits.ratio` times the compressed bytes read so far (past
    /// the first `limits.ratioAllowance` bytes); the CRC-32 is computed on the way and checked at
    /// the end. The declared compressed size is no bound: an archive may pad a small DEFLATE
    /// stream with junk, so only what the stream actually produces is counted.
    func stream(_ entry: Entry, limit: Int, consumer: (UnsafeRawBufferPointer) throws -> Void) throws {
        let name = entry.name
        guard entry.flags & 1 == 0 else {
            throw KerasError(.unsupported, "member \(name) is encrypted", file: path)
        }
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw KerasError(.format, "member \(name) claims \(entry.uncompressedSize) bytes, more than kconv reads for it (\(limit))", file: path)
        }
        let expected = entry.uncompressedSize
        // The local header repeats the name and may carry its own extra field; the data follows it.
        let local = ByteReader(try bytes(at: entry.localHeaderOffset, count: 30), at: 0)
        guard local.u32(0) == 0x0403_4B50 else { throw damaged("member \(name) has no local header at byte \(entry.localHeaderOffset)") }
        let dataOffset = entry.localHeaderOffset + 30 + UInt64(local.u16(26)) + UInt64(local.u16(28))
        guard entry.compressedSize <= fileSize, dataOffset <= fileSize - entry.compressedSize else {
            throw damaged("member \(name) runs past the end of the file")
        }
        var crc = CRC32(0)
        var produced: UInt64 = 0
        switch entry.method {
        case 0:
            guard entry.compressedSize == expected else {
                throw damaged("stored member \(name) has different compressed and uncompressed sizes")
            }
            while produced < expected {
                let chunk = try bytes(at: dataOffset + produced, count: Int(min(UInt64(Self.chunkSize), expected - produced)))
                crc = Data(chunk).crc32(checksum: crc)
                try chunk.withUnsafeBytes(consumer)
                produced += UInt64(chunk.count)
            }
        case 8:
            // DEFLATE never grows data by more than a few bytes per 16 KiB block.
            guard entry.compressedSize <= expected + expected / 64 + 1024 else {
                throw damaged("deflated member \(name) is larger than its uncompressed size allows")
            }
            let ratio = UInt64(limits.ratio), allowance = UInt64(limits.ratioAllowance)
            guard expected <= max(allowance, entry.compressedSize.multipliedReportingOverflow(by: ratio).partialValue) else {
                throw KerasError(.format, "member \(name) would inflate past \(limits.ratio) times its \(entry.compressedSize) compressed bytes: it declares \(expected) bytes (refusing a likely zip bomb)", file: path)
            }
            try inflate(from: dataOffset, count: entry.compressedSize, name: name) { chunk, read in
                produced += UInt64(chunk.count)
                guard produced <= expected else {
                    throw damaged("member \(name) inflates past its recorded \(expected) bytes")
                }
                let bound = max(allowance, read.multipliedReportingOverflow(by: ratio).partialValue)
                guard produced <= bound else {
                    throw KerasError(.format, "member \(name) inflates past \(bound) bytes from its first \(read) compressed bytes, more than \(limits.ratio) to 1 (refusing a likely zip bomb)", file: path)
                }
                crc = chunk.crc32(checksum: crc)
                try chunk.withUnsafeBytes(consumer)
            }
            guard produced == expected else {
                throw damaged("member \(name) inflates to \(produced) bytes, its header says \(expected)")
            }
        default:
            throw KerasError(.unsupported, "member \(name) uses zip compression method \(entry.method); kconv reads stored and deflated members", file: path)
        }
        guard crc == entry.crc32 else {
            throw damaged("member \(name) fails its CRC-32 check")
        }
    }

    /// Inflates the raw DEFLATE data of `count` bytes at `offset` through ZIPFoundation's zlib
    /// loop, reading the file a chunk at a time; `consumer` gets each inflated chunk with the count
    /// of file bytes handed to zlib so far. ZIPFoundation's loop has no way to say how much input
    /// zlib consumed, so the count is of bytes handed over, at most one chunk ahead of what zlib used.
    private func inflate(from offset: UInt64, count: UInt64, name: String,
                         consumer: (Data, UInt64) throws -> Void) throws {
        let chunk = Self.chunkSize
        var read: UInt64 = 0
        struct Overrun: Error {}
        do {
            // ZIPFoundation's loop hands zlib whole chunks whatever the provider returns: each chunk
            // is padded with zeros past the member's bytes (never read by a complete stream), and one
            // chunk of padding at most is given before the stream counts as cut short.
            _ = try Data.decompress(size: Int64.max, bufferSize: chunk, skipCRC32: true, provider: { position, size in
                let start = UInt64(position)
                guard position >= 0, size == chunk, start < count + UInt64(chunk) else { throw Overrun() }
                var data = Data(count: chunk)
                if start < count {
                    let available = Int(min(UInt64(chunk), count - start))
                    let bytes = try self.bytes(at: offset + start, count: available)
                    data.replaceSubrange(0..<available, with: bytes)
                    read = start + UInt64(available)
                }
                return data
            }, consumer: { try consumer($0, read) })
        } catch let e as KerasError {
            throw e
        } catch {
            throw damaged("member \(name) is not a valid DEFLATE stream (cut short or corrupt)")
        }
    }
}

/// Little-endian fields of a byte array at a base offset (callers check the bounds).
private struct ByteReader {
    let bytes: [UInt8]
    let base: Int

    init(_ bytes: [UInt8], at base: Int) {
        self.bytes = bytes
        self.base = base
    }

    func u16(_ at: Int) -> UInt16 {
        let i = base + at
        guard i >= 0, i + 2 <= bytes.count else { return 0 }
        return UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
    }

    func u32(_ at: Int) -> UInt32 {
        UInt32(u16(at)) | UInt32(u16(at + 2)) << 16
    }

    func u64(_ at: Int) -> UInt64 {
        UInt64(u32(at)) | UInt64(u32(at + 4)) << 32
    }
}
