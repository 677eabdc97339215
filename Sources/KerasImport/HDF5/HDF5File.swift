import CHDF5
import Foundation

/// An HDF5 file opened read-only, on disk or from an in-memory image.
///
/// All access goes through `root` and the `HDF5Group` / `HDF5Dataset` values
/// reached from it; they keep the file open for as long as they exist.
/// Every failure is a `KerasError` whose `file` is `path`.
package final class HDF5File: @unchecked Sendable {
    // @unchecked: the only state is the immutable identifier, and every use
    // of it happens under the process-wide HDF5 lock.

    /// The file's name for messages: its path, or the name given to an image.
    package let path: String
    /// The HDF5 file identifier; valid until deinit.
    let id: hid_t

    /// Opens the HDF5 file at `path` read-only.
    ///
    /// Throws `.io` if the file is missing or unreadable, `.format` if it is
    /// not an HDF5 file or is truncated or damaged beyond opening.
    package init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KerasError(.io, "no such file", file: path)
        }
        guard !isDirectory.boolValue else {
            throw KerasError(.io, "is a directory, not an HDF5 file", file: path)
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw KerasError(.io, "cannot read file (permission denied)", file: path)
        }
        id = try HDF5Library.locked { () throws -> hid_t in
            guard H5Fis_hdf5(path) > 0 else {
                throw KerasError(.format, "is not an HDF5 file", file: path)
            }
            return try Self.open(name: path, displayName: path) { _ in true }
        }
    }

    /// Opens an HDF5 file held in memory (for example `model.weights.h5`
    /// read out of a `.keras` zip archive). `name` is used in messages only.
    ///
    /// The bytes are copied; `image` may be released afterwards.
    package init(image: [UInt8], name: String) throws {
        self.path = name
        guard Self.hasSignature(image) else {
            throw KerasError(.format, "is not an HDF5 file", file: name)
        }
        // HDF5 recognises an already-open file by its name, also for
        // in-memory images: two images opened under the same name would
        // silently share the first one's contents. Give each a unique name.
        let uniqueName = "\(name)#kconv-image-\(Self.nextImageNumber())"
        id = try HDF5Library.locked { () throws -> hid_t in
            try Self.open(name: uniqueName, displayName: name) { fapl in
                guard H5Pset_fapl_core(fapl, 1 << 20, false) >= 0 else { return false }
                return image.withUnsafeBytes { raw in
                    H5Pset_file_image(fapl, UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count) >= 0
                }
            }
        }
    }

    deinit {
        let id = self.id
        HDF5Library.locked { () -> Void in
            _ = H5Fclose(id)
        }
    }

    /// The root group, "/".
    package var root: HDF5Group {
        HDF5Group(file: self, path: "/")
    }

    /// How many groups, datasets, datatypes and attributes of this file are
    /// open right now (for tests: it is 0 between calls, or something leaks).
    var openObjectCount: Int {
        let id = self.id
        return HDF5Library.locked { () -> Int in
            let types = UInt32(H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR)
            return H5Fget_obj_count(id, types)
        }
    }

    /// Opens `name` read-only with a file-access property list prepared by
    /// `configure`. Call with the lock held.
    private static func open(
        name: String, displayName: String, configure: (hid_t) -> Bool
    ) throws -> hid_t {
        let fapl = H5Pcreate(kc_H5P_FILE_ACCESS())
        guard fapl >= 0 else {
            throw HDF5Library.failure(.io, "cannot create HDF5 file-access properties", file: displayName)
        }
        defer { _ = H5Pclose(fapl) }
        // Closing the file closes it for real, even if HDF5 still had some
        // object of it open (kconv closes every object it opens).
        guard H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0,
              kc_set_file_locking(fapl) >= 0,
              configure(fapl)
        else {
            throw HDF5Library.failure(.io, "cannot set up HDF5 file access", file: displayName)
        }
        let id = H5Fopen(name, kc_H5F_ACC_RDONLY(), fapl)
        guard id >= 0 else {
            throw HDF5Library.failure(.format, "is truncated or damaged: cannot open it as HDF5", file: displayName)
        }
        return id
    }

    /// Whether `image` carries the HDF5 superblock signature at offset 0,
    /// 512, 1024, 2048, ... (where HDF5 looks for it).
    static func hasSignature(_ image: [UInt8]) -> Bool {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var offset = 0
        while offset + signature.count <= image.count {
            if image[offset ..< offset + signature.count].elementsEqual(signature) { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }

    private static let imageCounter = NSLock()
    nonisolated(unsafe) private static var imageCount = 0

    private static func nextImageNumber() -> Int {
        imageCounter.lock()
        defer { imageCounter.unlock() }
        imageCount += 1
        return imageCount
    }
}
