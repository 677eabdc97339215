import CHDF5
import Foundation

/// Reads the attributes of one object (group or dataset) of an HDF5 file.
///
/// Every method takes the HDF5 lock itself and closes every identifier it
/// opens. Sizes and counts from the file are checked before any buffer is
/// allocated.
struct HDF5Attributes {
    let file: HDF5File
    /// Absolute path of the object that owns the attributes.
    let objectPath: String

    /// Whether the object has an attribute `name`. Never throws.
    func has(_ name: String) -> Bool {
        HDF5Library.locked { () -> Bool in
            let object = H5Oopen(file.id, objectPath, kc_H5P_DEFAULT())
            guard object >= 0 else { return false }
            defer { _ = H5Oclose(object) }
            return H5Aexists(object, name) > 0
        }
    }

    /// A single string (see `HDF5Group.stringAttribute`), nil if absent.
    func string(_ name: String) throws -> String? {
        try HDF5Library.locked { () throws -> String? in
            try withAttribute(name) { (attribute, type, count) throws -> String in
                let label = self.label(name)
                switch H5Tget_class(type) {
                case H5T_STRING:
                    let strings = try readStrings(attribute, type: type, count: count, label: label)
                    guard strings.count == 1, let only = strings.first else {
                        throw KerasError(.format, "\(label) holds \(strings.count) strings, expected one", file: file.path)
                    }
                    return only
                case H5T_INTEGER where H5Tget_size(type) == 1:
                    var bytes = try readBytes(attribute, type: type, count: count, label: label)
                    while bytes.last == 0 { bytes.removeLast() }
                    return String(decoding: bytes, as: UTF8.self)
                default:
                    throw KerasError(.format, "\(label) is not a string (it holds \(HDF5Library.describe(type: type)) values)", file: file.path)
                }
            }
        }
    }

    /// A list of strings (see `HDF5Group.stringListAttribute`), nil if
    /// neither `name` nor `name0` exists.
    func stringList(_ name: String) throws -> [String]? {
        try HDF5Library.locked { () throws -> [String]? in
            if let list = try readStringList(name) { return list }
            var chunks: [String] = []
            var index = 0
            while let chunk = try readStringList("\(name)\(index)") {
                chunks += chunk
                index += 1
            }
            return index == 0 ? nil : chunks
        }
    }

    // MARK: - Internals (call with the lock held)

    private func label(_ name: String) -> String {
        "attribute '\(name)' of \(objectPath)"
    }

    private func openObject() throws -> hid_t {
        let object = H5Oopen(file.id, objectPath, kc_H5P_DEFAULT())
        guard object >= 0 else {
            throw HDF5Library.failure(.format, "cannot open HDF5 object \(objectPath)", file: file.path)
        }
        return object
    }

    private func readStringList(_ name: String) throws -> [String]? {
        try withAttribute(name) { (attribute, type, count) throws -> [String] in
            let label = self.label(name)
            if count == 0 { return [] }
            guard H5Tget_class(type) == H5T_STRING else {
                throw KerasError(.format, "\(label) is not a list of strings (it holds \(count) \(HDF5Library.describe(type: type)) values)", file: file.path)
            }
            return try readStrings(attribute, type: type, count: count, label: label)
        }
    }

    /// Opens attribute `name`, hands its identifier, type and element count
    /// to `body`, and closes everything again. Nil if there is no such
    /// attribute.
    private func withAttribute<T>(
        _ name: String, _ body: (hid_t, hid_t, Int) throws -> T
    ) throws -> T? {
        let object = try openObject()
        defer { _ = H5Oclose(object) }
        let exists = H5Aexists(object, name)
        guard exists >= 0 else {
            throw HDF5Library.failure(.format, "cannot look up \(label(name))", file: file.path)
        }
        guard exists > 0 else { return nil }
        let attribute = H5Aopen(object, name, kc_H5P_DEFAULT())
        guard attribute >= 0 else {
            throw HDF5Library.failure(.format, "cannot open \(label(name))", file: file.path)
        }
        defer { _ = H5Aclose(attribute) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else {
            throw HDF5Library.failure(.format, "cannot read the shape of \(label(name))", file: file.path)
        }
        defer { _ = H5Sclose(space) }
        let shape = try HDF5Library.shape(ofSpace: space, label: label(name), file: file.path)
        guard let count = HDF5Library.elementCount(shape) else {
            throw KerasError(.format, "\(label(name)) has an absurd shape \(shape ?? [])", file: file.path)
        }
        let type = H5Aget_type(attribute)
        guard type >= 0 else {
            throw HDF5Library.failure(.format, "cannot read the type of \(label(name))", file: file.path)
        }
        defer { _ = H5Tclose(type) }
        return try body(attribute, type, count)
    }

    private func readStrings(_ attribute: hid_t, type: hid_t, count: Int, label: String) throws -> [String] {
        if count == 0 { return [] }
        let variable = H5Tis_variable_str(type)
        guard variable >= 0 else {
            throw HDF5Library.failure(.format, "cannot read the string type of \(label)", file: file.path)
        }
        if variable > 0 {
            return try readVariableStrings(attribute, type: type, count: count, label: label)
        }
        return try readFixedStrings(attribute, type: type, count: count, label: label)
    }

    private func readVariableStrings(_ attribute: hid_t, type: hid_t, count: Int, label: String) throws -> [String] {
        guard count <= HDF5Library.maxAttributeBytes / MemoryLayout<UnsafeMutablePointer<CChar>?>.stride else {
            throw KerasError(.format, "\(label) holds too many strings (\(count))", file: file.path)
        }
        let memoryType = H5Tcopy(kc_H5T_C_S1())
        guard memoryType >= 0 else {
            throw HDF5Library.failure(.format, "cannot read \(label)", file: file.path)
        }
        defer { _ = H5Tclose(memoryType) }
        let charset = H5Tget_cset(type)
        guard H5Tset_size(memoryType, kc_H5T_VARIABLE()) >= 0,
              charset == H5T_CSET_ERROR || H5Tset_cset(memoryType, charset) >= 0
        else {
            throw HDF5Library.failure(.format, "cannot read \(label)", file: file.path)
        }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        let status = pointers.withUnsafeMutableBytes { raw in
            H5Aread(attribute, memoryType, raw.baseAddress)
        }
        guard status >= 0 else {
            throw HDF5Library.failure(.format, "cannot read \(label)", file: file.path)
        }
        // The strings were allocated by HDF5: decode them all, then free them all.
        var strings: [String] = []
        strings.reserveCapacity(count)
        var totalBytes = 0
        var tooLong = false
        for pointer in pointers {
            guard let pointer else {
                strings.append("")
                continue
            }
            let length = strnlen(pointer, HDF5Library.maxAttributeBytes + 1)
            totalBytes += length
            if totalBytes > HDF5Library.maxAttributeBytes { tooLong = true }
            if !tooLong {
                let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
                strings.append(String(decoding: bytes, as: UTF8.self))
            }
            _ = H5free_memory(pointer)
        }
        guard !tooLong else {
            throw KerasError(.format, "\(label) is too long (more than \(HDF5Library.maxAttributeBytes) bytes)", file: file.path)
        }
        return strings
    }

    private func readFixedStrings(_ attribute: hid_t, type: hid_t, count: Int, label: String) throws -> [String] {
        let size = H5Tget_size(type)
        guard size > 0 else {
            throw HDF5Library.failure(.format, "cannot read the string size of \(label)", file: file.path)
        }
        guard size <= HDF5Library.maxAttributeBytes, count <= HDF5Library.maxAttributeBytes / size else {
            throw KerasError(.format, "\(label) is too long (\(count) strings of \(size) bytes)", file: file.path)
        }
        let padding = H5Tget_strpad(type)
        // Read with the file's own type: the bytes arrive unconverted.
        let bytes = try readRaw(attribute, type: type, byteCount: size * count, label: label)
        var strings: [String] = []
        strings.reserveCapacity(count)
        for index in 0 ..< count {
            var element = bytes[index * size ..< (index + 1) * size]
            if let end = element.firstIndex(of: 0) { element = element[..<end] }
            if padding == H5T_STR_SPACEPAD {
                while element.last == 0x20 { element = element.dropLast() }
            }
            strings.append(String(decoding: element, as: UTF8.self))
        }
        return strings
    }

    private func readBytes(_ attribute: hid_t, type: hid_t, count: Int, label: String) throws -> [UInt8] {
        guard count <= HDF5Library.maxAttributeBytes else {
            throw KerasError(.format, "\(label) is too long (\(count) bytes)", file: file.path)
        }
        return try readRaw(attribute, type: type, byteCount: count, label: label)
    }

    /// Reads the attribute with memory type `type` into `byteCount` bytes.
    private func readRaw(_ attribute: hid_t, type: hid_t, byteCount: Int, label: String) throws -> [UInt8] {
        let memoryType = H5Tcopy(type)
        guard memoryType >= 0 else {
            throw HDF5Library.failure(.format, "cannot read \(label)", file: file.path)
        }
        defer { _ = H5Tclose(memoryType) }
        var bytes = [UInt8](repeating: 0, count: byteCount)
        let status = bytes.withUnsafeMutableBytes { raw in
            H5Aread(attribute, memoryType, raw.baseAddress)
        }
        guard status >= 0 else {
            throw HDF5Library.failure(.format, "cannot read \(label)", file: file.path)
        }
        return bytes
    }
}
