import CHDF5

/// A numeric dataset inside an open `HDF5File`: its shape and element type
/// are read when it is looked up, its values by `readFloats()`.
package struct HDF5Dataset: Sendable {
    /// How the stored elements are turned into Float.
    enum Encoding: Sendable, Equatable {
        /// Any 4-byte float: HDF5 converts to native float (byte order only).
        case float32
        /// Any other float except IEEE half: read as native double, then rounded.
        case float64
        /// IEEE binary16: raw 16-bit patterns, converted here.
        case ieeeHalf
        /// Keras 3 bfloat16 (attribute dtype="bfloat16"), stored as a 2-byte integer.
        case bfloat16Integer
        /// Keras 3 bfloat16 as h5py writes it: 2-byte opaque, little-endian.
        case bfloat16Opaque
        /// Signed integers of any size, read as Int64.
        case signedInteger
        /// Unsigned integers of any size, read as UInt64.
        case unsignedInteger
        /// Not numeric (strings, compounds, ...): `readFloats` throws.
        case unsupported

        /// Bytes per element of the buffer HDF5 reads into.
        var readSize: Int {
            switch self {
            case .float32: 4
            case .ieeeHalf, .bfloat16Integer, .bfloat16Opaque: 2
            case .float64, .signedInteger, .unsignedInteger, .unsupported: 8
            }
        }
    }

    /// The file this dataset belongs to (kept open by this reference).
    let file: HDF5File
    /// The absolute HDF5 path, e.g. "/model_weights/dense/dense/kernel:0".
    package let path: String
    /// The dimensions; `[]` for a scalar (0-d) dataset.
    package let shape: [Int]
    /// The stored element type for messages: "float32", "float16", "int64",
    /// "bfloat16", "string", ...
    package let elementTypeDescription: String
    /// The number of elements (the product of `shape`).
    let elementCount: Int
    let encoding: Encoding

    /// Looks at the dataset at the absolute `path`. Call with the lock held.
    init(file: HDF5File, path: String) throws {
        self.file = file
        self.path = path
        let dataset = H5Dopen2(file.id, path, kc_H5P_DEFAULT())
        guard dataset >= 0 else {
            throw HDF5Library.failure(.format, "cannot open dataset \(path)", file: file.path)
        }
        defer { _ = H5Dclose(dataset) }

        let space = H5Dget_space(dataset)
        guard space >= 0 else {
            throw HDF5Library.failure(.format, "cannot read the shape of dataset \(path)", file: file.path)
        }
        defer { _ = H5Sclose(space) }
        let dims = try HDF5Library.shape(ofSpace: space, label: "dataset \(path)", file: file.path)
        guard let count = HDF5Library.elementCount(dims) else {
            throw KerasError(.format, "dataset \(path) has an absurd shape \(dims ?? [])", file: file.path)
        }
        shape = dims ?? [0]
        elementCount = count

        let type = H5Dget_type(dataset)
        guard type >= 0 else {
            throw HDF5Library.failure(.format, "cannot read the element type of dataset \(path)", file: file.path)
        }
        defer { _ = H5Tclose(type) }
        let size = H5Tget_size(type)
        var encoding: Encoding
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            encoding = size == 4 ? .float32 : size == 2 && Self.isIEEEHalf(type) ? .ieeeHalf : .float64
        case H5T_INTEGER:
            encoding = H5Tget_sign(type) == H5T_SGN_NONE ? .unsignedInteger : .signedInteger
            if size == 2 && Self.isMarkedBFloat16(file: file, path: path) { encoding = .bfloat16Integer }
        case H5T_OPAQUE:
            encoding = size == 2 && Self.isMarkedBFloat16(file: file, path: path) ? .bfloat16Opaque : .unsupported
        default:
            encoding = .unsupported
        }
        self.encoding = encoding
        elementTypeDescription = encoding == .bfloat16Integer || encoding == .bfloat16Opaque
            ? "bfloat16" : HDF5Library.describe(type: type)
    }

    /// All elements as Float, in row-major order.
    ///
    /// Floats of any precision (including IEEE half and Keras 3 bfloat16) and
    /// integers of any size are converted, rounding to nearest. Other element
    /// types, oversized datasets and unreadable (truncated, damaged) data are
    /// `.format` errors naming the dataset.
    package func readFloats() throws -> [Float] {
        guard encoding != .unsupported else {
            throw KerasError(.format, "dataset \(path) holds \(elementTypeDescription) values, not numbers", file: file.path)
        }
        let (bytes, overflow) = elementCount.multipliedReportingOverflow(by: max(4, encoding.readSize))
        guard !overflow, bytes <= HDF5Library.maxReadBytes else {
            throw KerasError(.format, "dataset \(path) is too large to read (\(shape) \(elementTypeDescription))", file: file.path)
        }
        if elementCount == 0 { return [] }
        return try HDF5Library.locked { () throws -> [Float] in
            let dataset = H5Dopen2(file.id, path, kc_H5P_DEFAULT())
            guard dataset >= 0 else {
                throw HDF5Library.failure(.format, "cannot open dataset \(path)", file: file.path)
            }
            defer { _ = H5Dclose(dataset) }
            switch encoding {
            case .float32:
                return try read(dataset, as: Float.self, memoryType: kc_H5T_NATIVE_FLOAT())
            case .float64:
                return try read(dataset, as: Double.self, memoryType: kc_H5T_NATIVE_DOUBLE()).map { Float($0) }
            case .signedInteger:
                return try read(dataset, as: Int64.self, memoryType: kc_H5T_NATIVE_INT64()).map { Float($0) }
            case .unsignedInteger:
                return try read(dataset, as: UInt64.self, memoryType: kc_H5T_NATIVE_UINT64()).map { Float($0) }
            case .ieeeHalf:
                return try readRaw16(dataset, inNativeOrder: true).map(Self.floatFromHalf)
            case .bfloat16Integer:
                return try readRaw16(dataset, inNativeOrder: true).map(Self.floatFromBFloat16)
            case .bfloat16Opaque:
                // Opaque data has no byte order; ml_dtypes writes little-endian.
                return try readRaw16(dataset, inNativeOrder: false).map { Self.floatFromBFloat16(UInt16(littleEndian: $0)) }
            case .unsupported:
                throw KerasError(.format, "dataset \(path) holds \(elementTypeDescription) values, not numbers", file: file.path)
            }
        }
    }

    /// Whether the dataset has an attribute called `name`. Never throws.
    package func hasAttribute(_ name: String) -> Bool {
        HDF5Attributes(file: file, objectPath: path).has(name)
    }

    /// The dataset's string attribute `name` (as `HDF5Group.stringAttribute`),
    /// or nil if there is none.
    package func stringAttribute(_ name: String) throws -> String? {
        try HDF5Attributes(file: file, objectPath: path).string(name)
    }

    // MARK: - Reading (call with the lock held)

    /// Reads every element with memory type `memoryType`, which must be `T`'s
    /// native HDF5 type. The lock is held for the whole H5Dread.
    private func read<T: BitwiseCopyable>(_ dataset: hid_t, as: T.Type, memoryType: hid_t) throws -> [T] {
        var status: herr_t = -1
        let values = [T](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
            status = H5Dread(dataset, memoryType, kc_H5S_ALL(), kc_H5S_ALL(), kc_H5P_DEFAULT(), buffer.baseAddress)
            initialized = status >= 0 ? elementCount : 0
        }
        guard status >= 0 else {
            throw HDF5Library.failure(.format, "cannot read dataset \(path) (the file may be truncated or damaged)", file: file.path)
        }
        return values
    }

    /// Reads 2-byte elements unconverted, swapped to native byte order if
    /// `inNativeOrder` (for types that have a byte order).
    private func readRaw16(_ dataset: hid_t, inNativeOrder: Bool) throws -> [UInt16] {
        let fileType = H5Dget_type(dataset)
        guard fileType >= 0 else {
            throw HDF5Library.failure(.format, "cannot read the element type of dataset \(path)", file: file.path)
        }
        defer { _ = H5Tclose(fileType) }
        let memoryType = H5Tcopy(fileType)
        guard memoryType >= 0 else {
            throw HDF5Library.failure(.format, "cannot read dataset \(path)", file: file.path)
        }
        defer { _ = H5Tclose(memoryType) }
        if inNativeOrder {
            guard H5Tset_order(memoryType, H5Tget_order(kc_H5T_NATIVE_UINT16())) >= 0 else {
                throw HDF5Library.failure(.format, "cannot read dataset \(path)", file: file.path)
            }
        }
        return try read(dataset, as: UInt16.self, memoryType: memoryType)
    }

    // MARK: - Element types

    /// Whether a 2-byte float type has the IEEE binary16 layout.
    private static func isIEEEHalf(_ type: hid_t) -> Bool {
        var signPosition = 0, exponentPosition = 0, exponentSize = 0, mantissaPosition = 0, mantissaSize = 0
        guard H5Tget_fields(type, &signPosition, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize) >= 0
        else { return false }
        return (signPosition, exponentPosition, exponentSize, mantissaPosition, mantissaSize) == (15, 10, 5, 0, 10)
            && H5Tget_ebias(type) == 15
    }

    /// Whether the dataset carries Keras 3's bfloat16 marker, dtype="bfloat16".
    private static func isMarkedBFloat16(file: HDF5File, path: String) -> Bool {
        let attributes = HDF5Attributes(file: file, objectPath: path)
        guard attributes.has("dtype"), let dtype = try? attributes.string("dtype") else { return false }
        return dtype == "bfloat16"
    }

    /// IEEE binary16 bits to Float (exact: every half is a float), including
    /// subnormals, infinities and NaNs.
    static func floatFromHalf(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    /// bfloat16 bits to Float: they are the upper half of a float32.
    static func floatFromBFloat16(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
