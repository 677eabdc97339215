import Foundation
import KConvOps

/// A [safetensors](https://github.com/huggingface/safetensors) container: a checked header and the
/// tensors it describes, read from bytes in memory or from a file, and the writer.
///
/// ## Layout
///
/// 1. 8 bytes: `N`, the header length, unsigned little-endian;
/// 2. `N` bytes: the JSON header, padded with spaces so that the data starts on an 8-byte boundary;
/// 3. the tensor data: raw little-endian values, tensors back to back, no gaps.
///
/// The header maps each tensor name to `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}`
/// (offsets relative to the start of the data) and may hold `"__metadata__"`, a string → string map.
///
/// This container holds `F32` tensors only. Reading checks every length, offset, shape and dtype
/// before it is used, so damaged or hostile bytes give a ``KerasError``, never a trap or an
/// out-of-bounds read. The formats built on it give their name (`format`) for the messages.
struct SafeTensors {
    /// One tensor of the header, with its values once the container is read.
    struct Entry {
        let name: String
        let shape: [Int]
        /// Byte range relative to the start of the data area.
        let begin: Int
        let end: Int
        /// The values, decoded from the little-endian bytes (empty while the tensor is left in its file).
        fileprivate(set) var scalars: [Float] = []
        /// Whether the values are left in the file until asked for (`tensor`, `rows`).
        fileprivate(set) var isInFile = false
    }

    /// Tensors of at least this many bytes (1 MiB), with two dimensions, are left in the file when it
    /// is read from disk: a layer that packs one reads it a block of rows at a time (`rows`), so it is
    /// never held whole beside its packed copy (A's LSTM kernel: 5.3 MB of fresh memory less to map at
    /// load).
    static let inFileBytes = 1 << 20

    /// The largest header accepted (the limit of the reference safetensors implementation).
    static let maxHeaderLength = 100_000_000

    let metadata: [String: String]
    /// Every tensor, in data order.
    let entries: [Entry]
    private let index: [String: Int]
    /// Reads the bytes of the tensors left in the file (nil for bytes in memory).
    private let inFile: InFileData?

    /// Reads a little-endian UInt64 from the first 8 bytes.
    static func readLength(_ bytes: some Collection<UInt8>) -> UInt64 {
        var n: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { n |= UInt64(b) << (8 * UInt64(i)) }
        return n
    }

    /// Whether `prefix` (a file's first bytes, at least 9 of them) looks like a safetensors file:
    /// a plausible header length followed by `{`. `fileSize`, when known, must hold the header.
    static func looksLikeHeader(_ prefix: some Collection<UInt8>, fileSize: Int?) -> Bool {
        let head = Array(prefix.prefix(9))
        guard head.count == 9, head[8] == UInt8(ascii: "{") else { return false }
        let n = readLength(head)
        guard n >= 2, n <= UInt64(maxHeaderLength) else { return false }
        if let fileSize { return UInt64(fileSize) >= 8 + n }
        return true
    }

    /// Parses and checks the safetensors bytes in `bytes` and copies out the tensors' values;
    /// `format` names the file format stored in them (a file extension such as `.st`) in error messages.
    init(_ bytes: UnsafeRawBufferPointer, format: String) throws {
        let headerLength = try Self.headerLength(first8: bytes.prefix(8), size: bytes.count, format: format)
        let dataStart = 8 + headerLength
        self = try Self(header: UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), size: bytes.count, format: format,
                        inFile: nil) { e, target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[(dataStart + e.begin)..<(dataStart + e.end)]))
        }
    }

    /// Reads and checks the safetensors file `file`: the header, then each tensor's bytes straight
    /// into its array.
    init(reading file: FileBytes.RegularFile, format: String) throws {
        /// Reads `buffer.count` bytes at `offset`; a file that ends first has shrunk since it was opened.
        func read(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
            let count = try file.read(into: buffer, at: offset)
            guard count == buffer.count else {
                throw KerasError(.format, "is truncated: it ended at byte \(offset + count) while being read, before the \(file.size) bytes it had when opened")
            }
        }
        var first8 = [UInt8](repeating: 0, count: min(file.size, 8))
        try first8.withUnsafeMutableBytes { try read($0, at: 0) }
        let headerLength = try Self.headerLength(first8: first8, size: file.size, format: format)
        var header = [UInt8](repeating: 0, count: headerLength)
        try header.withUnsafeMutableBytes { try read($0, at: 8) }
        let dataStart = 8 + headerLength
        let inFile = InFileData(file: file, dataStart: dataStart)
        self = try header.withUnsafeBytes { header in
            try Self(header: header, size: file.size, format: format, inFile: inFile) { e, target in
                // A large tensor's pages mapped in one call, not one fault per 4 KiB while reading it.
                Prefault.pages(of: target)
                try read(target, at: dataStart + e.begin)
            }
        }
    }

    /// The header length the first 8 bytes of a safetensors file of `size` bytes give, checked.
    private static func headerLength(first8: some Collection<UInt8>, size: Int, format: String) throws -> Int {
        guard size >= 8 else {
            throw KerasError(.format, "is too short for a \(format) file: \(size) byte(s), a safetensors file starts with an 8-byte header length")
        }
        let n = SafeTensors.readLength(first8)
        guard n <= UInt64(SafeTensors.maxHeaderLength) else {
            throw KerasError(.format, "declares a \(n)-byte header, over the \(SafeTensors.maxHeaderLength)-byte limit: not a \(format) file, or damaged")
        }
        guard n <= UInt64(size - 8) else {
            throw KerasError(.format, "is truncated: its header length \(n) runs past the end of the file (\(size) bytes)")
        }
        return Int(n)
    }

    /// Parses and checks `header`, the JSON header of a safetensors file of `size` bytes, then fills
    /// each tensor's values: `load` writes a checked entry's bytes into the storage given.
    private init(header: UnsafeRawBufferPointer, size: Int, format: String, inFile: InFileData?,
                 load: (Entry, UnsafeMutableRawBufferPointer) throws -> Void) throws {
        self.inFile = inFile
        let dataStart = 8 + header.count
        guard header.count >= 2, header[0] == UInt8(ascii: "{") else {
            throw KerasError(.format, "the safetensors header is not a JSON object (it does not start with '{')")
        }
        let json: JSON
        do {
            json = try JSON(parsing: header, what: "the safetensors header")
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError(.format, "the safetensors header is not valid JSON: \(error)")
        }
        guard let top = json.objectValue else {
            throw KerasError(.format, "the safetensors header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        if let meta = top["__metadata__"] {
            guard let object = meta.objectValue else {
                throw KerasError(.format, "the header's __metadata__ is not a JSON object")
            }
            for (key, value) in object {
                guard let s = value.stringValue else {
                    throw KerasError(.format, "the header's __metadata__ value for '\(key.clipped)' is not a string (safetensors metadata holds strings only)")
                }
                metadata[key] = s
            }
        }
        self.metadata = metadata

        let dataLength = size - dataStart
        var entries: [Entry] = []
        for (name, value) in top where name != "__metadata__" {
            entries.append(try SafeTensors.entry(name: name, value, dataLength: dataLength, format: format))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        var previous: Entry?
        for e in entries {
            if e.begin < position, let previous {
                throw KerasError(.format, "tensors '\(previous.name.clipped)' (bytes \(previous.begin)..<\(previous.end)) and '\(e.name.clipped)' (bytes \(e.begin)..<\(e.end)) overlap")
            }
            if e.begin > position {
                throw KerasError(.format, "the data has a gap at bytes \(position)..<\(e.begin) before tensor '\(e.name.clipped)' (safetensors data must be contiguous)")
            }
            position = e.end
            previous = e
        }
        guard position == dataLength else {
            throw KerasError(.format, "the tensors cover \(position) byte(s) of data, but the file has \(dataLength) after the header (truncated, or trailing bytes)")
        }
        for i in entries.indices {
            let e = entries[i]
            if inFile != nil, e.shape.count == 2, e.end - e.begin >= Self.inFileBytes {
                entries[i].isInFile = true
                continue
            }
            let count = (e.end - e.begin) / 4
            entries[i].scalars = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                // Exactly the tensor's bytes: the buffer may be longer (the whole allocation).
                try load(e, UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[0..<(e.end - e.begin)]))
                #if _endian(big)
                for i in 0..<count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
                #endif
                initialized = count
            }
        }
        self.entries = entries
        self.index = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// One header entry, checked: dtype F32, a shape of non-negative sizes whose byte size fits, offsets
    /// in order, inside the data, and exactly as long as the shape needs.
    private static func entry(name: String, _ value: JSON, dataLength: Int, format: String) throws -> Entry {
        let label = "tensor '\(name.clipped)'"
        guard let object = value.objectValue else {
            throw KerasError(.format, "\(label): its header entry is not an object")
        }
        guard let dtype = object["dtype"]?.stringValue else {
            throw KerasError(.format, "\(label) has no dtype")
        }
        guard dtype == "F32" else {
            throw KerasError(.unsupported, "\(label) has dtype \(dtype.clipped); \(format) files hold F32 tensors only")
        }
        guard let shapeItems = object["shape"]?.arrayValue else {
            throw KerasError(.format, "\(label) has no shape list")
        }
        guard shapeItems.count <= 64 else {
            throw KerasError(.format, "\(label) has \(shapeItems.count) dimensions (at most 64)")
        }
        var shape: [Int] = []
        for item in shapeItems {
            guard let d = item.intValue, d >= 0 else {
                throw KerasError(.format, "\(label) has shape \(JSON.array(shapeItems).serialized.clipped): sizes must be integers ≥ 0")
            }
            shape.append(d)
        }
        guard let count = Tensor.elementCount(shape) else {
            throw KerasError(.format, "\(label) has shape \(shape), whose element count overflows")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow else {
            throw KerasError(.format, "\(label) has shape \(shape), whose byte size overflows")
        }
        guard let offsets = object["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue else {
            throw KerasError(.format, "\(label) has no data_offsets [begin, end] of two integers")
        }
        guard begin >= 0, end >= begin else {
            throw KerasError(.format, "\(label) has data_offsets [\(begin), \(end)]: need 0 ≤ begin ≤ end")
        }
        guard end <= dataLength else {
            throw KerasError(.format, "\(label) has data_offsets [\(begin), \(end)] past the end of the data (\(dataLength) bytes): the file is truncated or damaged")
        }
        guard end - begin == byteCount else {
            throw KerasError(.format, "\(label) has shape \(shape) (\(byteCount) bytes of F32) but data_offsets [\(begin), \(end)] span \(end - begin) bytes")
        }
        return Entry(name: name, shape: shape, begin: begin, end: end)
    }

    func entry(named name: String) -> Entry? {
        index[name].map { entries[$0] }
    }

    /// The tensor of an entry (its values are shared, not copied; read whole now if left in the file).
    func tensor(_ e: Entry) throws -> Tensor {
        if let rows = rows(e) { return try rows.tensor() }
        return try Tensor(shape: e.shape, scalars: e.scalars)
    }

    /// A reader of blocks of rows of an entry left in the file; nil for one read already.
    func rows(_ e: Entry) -> WeightRows? {
        guard e.isInFile, let inFile else { return nil }
        let columns = e.shape[1], begin = e.begin
        return WeightRows(shape: e.shape) { rows, buffer in
            try inFile.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: rows.count * columns * 4),
                            at: begin + rows.lowerBound * columns * 4)
        }
    }

    /// The safetensors bytes holding `tensors` (in this order) and `metadata`.
    static func encode(metadata: [String: String], tensors: [(name: String, tensor: Tensor)]) throws -> [UInt8] {
        var header: [String: JSON] = ["__metadata__": .object(metadata.mapValues { .string($0) })]
        var offset = 0
        for (name, t) in tensors {
            guard header[name] == nil else { throw KerasError(.invalidArgument, "two tensors are named '\(name)'") }
            guard Tensor.elementCount(t.shape) == t.scalars.count else {
                throw KerasError(.shape, "tensor '\(name)': shape \(t.shape) does not match \(t.scalars.count) elements")
            }
            let length = t.scalars.count * 4
            header[name] = .object([
                "dtype": .string("F32"),
                "shape": .array(t.shape.map { .number(Double($0)) }),
                "data_offsets": .array([.number(Double(offset)), .number(Double(offset + length))]),
            ])
            offset += length
        }
        var text = Array(JSON.object(header).serialized.utf8)
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        var out: [UInt8] = []
        out.reserveCapacity(8 + text.count + offset)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(text.count) >> (8 * UInt64(i)))) }
        out += text
        for (_, t) in tensors {
            #if _endian(little)
            t.scalars.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for x in t.scalars { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            #endif
        }
        return out
    }
}

/// The data of a safetensors file opened from disk, for the tensors left in it: read on request,
/// checked to be whole (a file that shrank since it was opened is reported as truncated).
/// `@unchecked Sendable`: the file is only read, with positioned reads.
private final class InFileData: @unchecked Sendable {
    let file: FileBytes.RegularFile
    let dataStart: Int

    init(file: FileBytes.RegularFile, dataStart: Int) {
        self.file = file
        self.dataStart = dataStart
    }

    /// Reads `buffer.count` bytes at `offset` in the data area into `buffer`, as little-endian floats.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        let count = try file.read(into: buffer, at: dataStart + offset)
        guard count == buffer.count else {
            throw KerasError(.format, "is truncated: it ended at byte \(dataStart + offset + count) while being read, before the \(file.size) bytes it had when opened")
        }
        #if _endian(big)
        let floats = buffer.bindMemory(to: UInt32.self)
        for i in floats.indices { floats[i] = UInt32(littleEndian: floats[i]) }
        #endif
    }
}
