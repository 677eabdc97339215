import Foundation

/// Reads and writes numpy's `.npy` files.
///
/// Reading accepts format versions 1.0, 2.0 and 3.0, C order, and the dtypes float16/32/64
/// (`<f2`, `<f4`, `<f8`), int8/16/32/64 (`|i1`, `<i2`, `<i4`, `<i8`), uint8/16 (`|u1`, `<u2`) and
/// bool (`|b1`), converted to `Float` as `astype(np.float32)` does (rounding to nearest; `<f8`
/// values beyond `Float`'s range become ±infinity; `True` is 1). Anything else — big-endian,
/// Fortran order, strings, objects, structured dtypes — is a `KerasError` naming the file.
/// Every length and count in the file is checked before use, so a damaged file never traps.
///
/// Writing produces what `np.save` writes for a C-order `float32` array: version 1.0, `<f4`,
/// a header padded with spaces to a 64-byte boundary and ending in `\n`.
package enum Npy {
    /// The most dimensions a file may declare (numpy's own limit, `NPY_MAXDIMS`).
    package static let maxRank = 64

    /// The six bytes every `.npy` file starts with.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// What `np.save` aligns the header block to.
    static let alignment = 64

    /// Spare header room numpy leaves after the dict so the growth axis can be rewritten in place.
    static let growthAxisMaxDigits = 21

    // MARK: Reading

    /// Reads the tensor stored in the `.npy` file at `url`.
    package static func read(_ url: URL) throws -> Tensor {
        try read(data: FileBytes.read(url, format: ".npy"), name: url.path)
    }

    /// Decodes `.npy` bytes; `name` is the file to name in errors.
    package static func read(data: Data, name: String) throws -> Tensor {
        try data.withUnsafeBytes { try decode($0, name: name) }
    }

    /// Decodes `.npy` bytes; `name` is the file to name in errors.
    package static func read(bytes: [UInt8], name: String) throws -> Tensor {
        try bytes.withUnsafeBytes { try decode(UnsafeRawBufferPointer($0), name: name) }
    }

    /// A dtype kconv reads.
    enum DType: String {
        case float16 = "<f2", float32 = "<f4", float64 = "<f8"
        case int8 = "|i1", int16 = "<i2", int32 = "<i4", int64 = "<i8"
        case uint8 = "|u1", uint16 = "<u2", bool = "|b1"

        /// The dtype of a header's `descr`; a one-byte type may be written with `<`, `>`, `=` or `|`.
        init?(descr: String) {
            if let d = DType(rawValue: descr) {
                self = d
            } else if let order = descr.first, "<>=|".contains(order), ["i1", "u1", "b1"].contains(String(descr.dropFirst())),
                      let d = DType(rawValue: "|" + descr.dropFirst()) {
                self = d
            } else {
                return nil
            }
        }

        var itemSize: Int {
            switch self {
            case .int8, .uint8, .bool: 1
            case .float16, .int16, .uint16: 2
            case .float32, .int32: 4
            case .float64, .int64: 8
            }
        }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, name: String) throws -> Tensor {
        func fail(_ message: String, _ kind: KerasError.Kind = .format) -> KerasError {
            KerasError(kind, message, file: name)
        }
        let size = raw.count
        guard size > 0 else { throw fail("the file is empty (0 bytes), not a .npy file") }

        // Magic and version.
        let magicMatches = zip(raw.prefix(magic.count), magic).allSatisfy { $0 == $1 }
        guard magicMatches else {
            throw fail("not a .npy file (it does not start with numpy's \\x93NUMPY magic)")
        }
        guard size >= magic.count + 2 else {
            throw fail("truncated .npy file: \(size) bytes, too short for the format version")
        }
        let major = raw[6], minor = raw[7]
        let lengthFieldSize: Int
        switch (major, minor) {
        case (1, 0): lengthFieldSize = 2
        case (2, 0), (3, 0): lengthFieldSize = 4
        default:
            throw fail("npy format version \(major).\(minor) is not supported (kconv reads 1.0, 2.0 and 3.0)", .unsupported)
        }

        // Header length and header text.
        let headerStart = magic.count + 2 + lengthFieldSize
        guard size >= headerStart else {
            throw fail("truncated .npy file: \(size) bytes, too short for the header length")
        }
        var declaredLength: UInt64 = 0
        for i in 0..<lengthFieldSize {
            declaredLength |= UInt64(raw[magic.count + 2 + i]) << (8 * i)
        }
        guard declaredLength <= UInt64(size - headerStart) else {
            throw fail("truncated .npy file: the header claims \(declaredLength) bytes but only \(size - headerStart) follow the header length")
        }
        let headerLength = Int(declaredLength)
        let headerBytes = UnsafeRawBufferPointer(rebasing: raw[headerStart..<(headerStart + headerLength)])
        let headerText: String
        if major >= 3 {
            guard let text = String(validating: headerBytes, as: UTF8.self) else {
                throw fail("the .npy header is not valid UTF-8")
            }
            headerText = text
        } else {
            // Versions 1 and 2 store the header as latin-1: every byte is one character.
            var scalars = String.UnicodeScalarView()
            for byte in headerBytes { scalars.append(Unicode.Scalar(byte)) }
            headerText = String(scalars)
        }
        let header: Header
        do {
            header = try parseHeader(headerText)
        } catch {
            throw error.inFile(name)
        }

        // Dtype and layout.
        guard let dtype = DType(descr: header.descr) else {
            throw fail(unsupportedDtypeMessage(header.descr), .unsupported)
        }
        guard !header.fortranOrder else {
            throw fail("Fortran-order arrays are not supported; save a C-order array (np.save(path, np.ascontiguousarray(a)))", .unsupported)
        }

        // Shape and data size.
        guard header.shape.count <= maxRank else {
            throw fail("the .npy shape has \(header.shape.count) dimensions; at most \(maxRank) are allowed")
        }
        guard header.shape.allSatisfy({ $0 >= 0 }) else {
            throw fail("the .npy shape \(shapeText(header.shape)) has a negative dimension")
        }
        let dataStart = headerStart + headerLength
        let available = size - dataStart
        guard let count = Tensor.elementCount(header.shape) else {
            throw fail("the .npy shape \(shapeText(header.shape)) is too large")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow else {
            throw fail("the .npy shape \(shapeText(header.shape)) is too large")
        }
        guard byteCount == available else {
            if byteCount > available {
                throw fail("truncated .npy file: shape \(shapeText(header.shape)) of '\(dtype.rawValue)' needs \(byteCount) data bytes, the file has \(available)")
            }
            let extra = available - byteCount
            throw fail("the .npy file has \(extra) byte\(extra == 1 ? "" : "s") after the data of shape \(shapeText(header.shape)) of '\(dtype.rawValue)'")
        }

        let body = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
        let scalars = convert(body, dtype: dtype, count: count)
        return Tensor(uncheckedShape: header.shape, scalars: scalars)
    }

    /// Converts `count` little-endian elements of `dtype` to `Float`.
    private static func convert(_ body: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Float] {
        guard count > 0 else { return [] }
        switch dtype {
        case .float32:
            #if _endian(little)
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: body[..<(count * 4)]))
                initialized = count
            }
            #else
            return (0..<count).map { Float(bitPattern: UInt32(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            #endif
        case .float64:
            return (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
        case .int32:
            return (0..<count).map { Float(Int32(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
        case .int64:
            return (0..<count).map { Float(Int64(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) }
        case .float16:
            return (0..<count).map { halfToFloat(UInt16(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        case .int16:
            return (0..<count).map { Float(Int16(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self))) }
        case .uint16:
            return (0..<count).map { Float(UInt16(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        case .int8:
            return (0..<count).map { Float(Int8(bitPattern: body[$0])) }
        case .uint8:
            return (0..<count).map { Float(body[$0]) }
        case .bool:
            return (0..<count).map { body[$0] == 0 ? 0 : 1 }
        }
    }

    /// An IEEE half-precision value, exactly as a `Float` (every half is a float), NaN payloads kept.
    /// Written out rather than through `Float16`, which some Swift platforms (macOS on Intel) lack.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let fraction = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction · 2^-24, exact in Float.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (fraction << 13))
        }
    }

    private static func unsupportedDtypeMessage(_ descr: String) -> String {
        let supported = "kconv reads little-endian float16/float32/float64, int8/int16/int32/int64, uint8/uint16 and bool"
        var hint = ""
        if descr.hasPrefix(">"), ["f2", "f4", "f8", "i2", "i4", "i8", "u2"].contains(String(descr.dropFirst())) {
            hint = "; convert with a.astype('<\(descr.dropFirst())')"
        } else if descr.hasPrefix("[") {
            hint = "; structured arrays are not supported"
        }
        return "dtype '\(descr)' is not supported (\(supported))\(hint)"
    }

    /// `(2, 3)`, `(2,)` or `()`, as Python prints a shape tuple.
    static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    // MARK: Writing

    /// The `.npy` bytes of `tensor`: version 1.0, `<f4`, C order, exactly as `np.save` writes them.
    ///
    /// The header states `tensor.shape`; ``write(_:to:)`` refuses a tensor whose `scalars` no
    /// longer match it.
    package static func encode(_ tensor: Tensor) -> [UInt8] {
        var bytes = header(shape: tensor.shape)
        let dataStart = bytes.count
        let count = tensor.scalars.count
        bytes.reserveCapacity(dataStart + count * 4)
        #if _endian(little)
        tensor.scalars.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for x in tensor.scalars {
            withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        #endif
        return bytes
    }

    /// The magic, version, header length and header of a C-order `<f4` array of `shape`.
    package static func header(shape: [Int]) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText(shape)), }"
        if let first = shape.first {
            // np.save's spare room for growing the first axis in place.
            dict += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).count))
        }
        let text = Array(dict.utf8)  // ASCII: identical in latin-1.
        // Version 1.0 unless the header outgrows its 2-byte length, as np.save decides.
        var lengthFieldSize = 2
        var padding = alignment - (magic.count + 2 + lengthFieldSize + text.count + 1) % alignment
        if text.count + padding + 1 > Int(UInt16.max) {
            lengthFieldSize = 4
            padding = alignment - (magic.count + 2 + lengthFieldSize + text.count + 1) % alignment
        }
        let headerLength = text.count + padding + 1
        var out = magic + [lengthFieldSize == 2 ? 1 : 2, 0]
        for i in 0..<lengthFieldSize { out.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }
        out += text
        out += [UInt8](repeating: 0x20, count: padding)
        out.append(0x0A)
        return out
    }

    /// Writes `tensor` to `url` as a `.npy` file (see ``encode(_:)``), replacing it atomically.
    package static func write(_ tensor: Tensor, to url: URL) throws {
        guard Tensor.elementCount(tensor.shape) == tensor.scalars.count else {
            throw KerasError(.shape, "cannot write: shape \(tensor.shape) does not match \(tensor.scalars.count) elements", file: url.path)
        }
        try FileBytes.write(encode(tensor), to: url)
    }
}
