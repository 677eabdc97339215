import CHDF5
import Foundation

/// Process-wide guard for the HDF5 C library.
///
/// Debian's libhdf5 must be treated as not thread-safe, so every HDF5 call in
/// kconv runs inside `HDF5Library.locked`. The lock is recursive: a group or
/// dataset released while the lock is held may drop the last reference to its
/// `HDF5File`, whose deinit then takes the lock again on the same thread.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// The largest single dataset read, in bytes of the in-memory buffer.
    static let maxReadBytes = 4 << 30
    /// The largest attribute payload (all strings or numbers together), in bytes.
    static let maxAttributeBytes = 64 << 20
    /// The largest rank HDF5 itself allows.
    static let maxRank = 32

    /// Runs `body` with the HDF5 lock held and automatic error printing off.
    ///
    /// The error printer is switched off on every entry, not only the first:
    /// in thread-safe builds of HDF5 (Debian's is one) the setting belongs to
    /// the calling thread's error stack, so a once-only switch would let a
    /// second thread print diagnostics to stderr.
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = kc_silence_errors()
        return try body()
    }

    /// The most specific message on the current HDF5 error stack, if any.
    /// Call it right after the failing HDF5 call, before any other HDF5 call.
    static func lastErrorDetail() -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        let found = buffer.withUnsafeMutableBufferPointer { raw in
            kc_error_description(raw.baseAddress, raw.count)
        }
        guard found != 0 else { return nil }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ")
            .trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }

    /// A `KerasError` for a failed HDF5 call, with HDF5's own reason appended.
    /// Must be built right after the failing call (see `lastErrorDetail`).
    static func failure(_ kind: KerasError.Kind, _ message: String, file: String) -> KerasError {
        if let detail = lastErrorDetail() {
            return KerasError(kind, "\(message) (HDF5: \(detail))", file: file)
        }
        return KerasError(kind, message, file: file)
    }

    /// The components of `relative` resolved against the absolute HDF5 path `base`.
    /// Empty components (leading, trailing or doubled slashes) are dropped.
    static func components(of base: String, joining relative: String) -> [String] {
        let split: (String) -> [String] = { $0.split(separator: "/", omittingEmptySubsequences: true).map(String.init) }
        return split(base) + split(relative)
    }

    /// The absolute HDF5 path for `components` ("/" for none).
    static func path(_ components: [String]) -> String {
        "/" + components.joined(separator: "/")
    }

    /// What an HDF5 path names.
    enum ObjectKind {
        case group, dataset, other
    }

    /// What the absolute path `components` names in file `fileID`, or nil if
    /// some link on the way is missing, dangling or external.
    ///
    /// Each prefix is checked with H5Lexists before anything looks at the
    /// object, so a missing name never raises an HDF5 error that could be
    /// mistaken for damage. External links are not followed: a model file
    /// must not make kconv open other files. Call with the lock held.
    static func resolve(fileID: hid_t, components: [String]) -> ObjectKind? {
        guard !components.isEmpty else { return .group }
        var prefix = ""
        for component in components {
            prefix += "/" + component
            guard H5Lexists(fileID, prefix, kc_H5P_DEFAULT()) > 0 else { return nil }
            let linkType = kc_link_type(fileID, prefix)
            guard linkType == Int32(H5L_TYPE_HARD.rawValue) || linkType == Int32(H5L_TYPE_SOFT.rawValue) else {
                return nil
            }
        }
        switch kc_object_type(fileID, prefix) {
        case Int32(H5O_TYPE_GROUP.rawValue): return .group
        case Int32(H5O_TYPE_DATASET.rawValue): return .dataset
        case -2: return nil
        default: return .other
        }
    }

    /// Collects names reported by one of the shim's iteration functions.
    private final class NameCollector {
        var names: [String] = []
        var totalBytes = 0
        var overflow = false
    }

    /// The names `iterate` reports, or nil if it fails or reports absurdly many.
    /// Call with the lock held.
    static func collectNames(
        _ iterate: (kc_name_cb, UnsafeMutableRawPointer) -> herr_t
    ) -> [String]? {
        let collector = NameCollector()
        let status = withExtendedLifetime(collector) { () -> herr_t in
            let context = Unmanaged.passUnretained(collector).toOpaque()
            return iterate({ name, context in
                guard let name, let context else { return -1 }
                let collector = Unmanaged<NameCollector>.fromOpaque(context).takeUnretainedValue()
                let length = strnlen(name, 1 << 16)
                collector.totalBytes += length
                if length >= 1 << 16 || collector.totalBytes > HDF5Library.maxAttributeBytes {
                    collector.overflow = true
                    return 1
                }
                let bytes = UnsafeRawBufferPointer(start: name, count: length)
                collector.names.append(String(decoding: bytes, as: UTF8.self))
                return 0
            }, context)
        }
        guard status >= 0, !collector.overflow else { return nil }
        return collector.names
    }

    /// The dimensions of a dataspace: `[]` for a scalar, nil for a null
    /// dataspace (no elements at all). Call with the lock held.
    static func shape(ofSpace space: hid_t, label: String, file: String) throws -> [Int]? {
        let spaceClass = H5Sget_simple_extent_type(space)
        switch spaceClass {
        case H5S_NULL:
            return nil
        case H5S_SCALAR:
            return []
        case H5S_SIMPLE:
            break
        default:
            throw failure(.format, "cannot read the shape of \(label)", file: file)
        }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else {
            throw failure(.format, "cannot read the shape of \(label)", file: file)
        }
        guard rank <= maxRank else {
            throw KerasError(.format, "\(label) has an invalid rank \(rank)", file: file)
        }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 {
            let got = dims.withUnsafeMutableBufferPointer { buffer in
                H5Sget_simple_extent_dims(space, buffer.baseAddress, nil)
            }
            guard got == rank else {
                throw failure(.format, "cannot read the shape of \(label)", file: file)
            }
        }
        var shape: [Int] = []
        for dim in dims {
            guard dim <= hsize_t(Int32.max) else {
                throw KerasError(.format, "\(label) has an absurd dimension \(dim)", file: file)
            }
            shape.append(Int(dim))
        }
        return shape
    }

    /// The number of elements of a shape from `shape(ofSpace:)` (0 for a null
    /// dataspace), or nil if it overflows.
    static func elementCount(_ shape: [Int]?) -> Int? {
        guard let shape else { return 0 }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// A short name for an HDF5 datatype, for messages: "float32", "uint8",
    /// "string", "compound", ... Call with the lock held.
    static func describe(type: hid_t) -> String {
        let bits = H5Tget_size(type) * 8
        switch H5Tget_class(type) {
        case H5T_FLOAT: return "float\(bits)"
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(bits)"
        case H5T_STRING: return "string"
        case H5T_COMPOUND: return "compound"
        case H5T_OPAQUE: return "opaque (\(bits / 8) bytes)"
        case H5T_ENUM: return "enum"
        case H5T_ARRAY: return "array"
        case H5T_VLEN: return "variable-length"
        case H5T_REFERENCE: return "reference"
        case H5T_BITFIELD: return "bitfield"
        case H5T_TIME: return "time"
        default: return "unknown-type"
        }
    }
}
