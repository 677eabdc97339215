import CHDF5

/// A group inside an open `HDF5File`, named by its absolute HDF5 path.
///
/// A group value is only a path plus a reference to its file: it holds no
/// HDF5 identifier, so it can be copied and kept freely.
package struct HDF5Group: Sendable {
    /// The file this group belongs to (kept open by this reference).
    let file: HDF5File
    /// The absolute HDF5 path: "/" for the root, "/model_weights/dense", ...
    package let path: String

    init(file: HDF5File, path: String) {
        self.file = file
        self.path = path
    }

    /// The group at `relativePath` below this one; the path may name nested
    /// groups ("dense/dense"). Throws a `.format` error naming the full path
    /// if there is no such group.
    package func group(_ relativePath: String) throws -> HDF5Group {
        let components = HDF5Library.components(of: path, joining: relativePath)
        let full = HDF5Library.path(components)
        let kind = HDF5Library.locked { HDF5Library.resolve(fileID: file.id, components: components) }
        switch kind {
        case .group?: return HDF5Group(file: file, path: full)
        case nil: throw KerasError(.format, "HDF5 group \(full) not found", file: file.path)
        case .dataset?: throw KerasError(.format, "\(full) is a dataset, not a group", file: file.path)
        case .other?: throw KerasError(.format, "\(full) is not a group", file: file.path)
        }
    }

    /// Whether `relativePath` names a group below this one. Never throws and
    /// never prints; a missing or unreadable path is simply `false`.
    package func hasGroup(_ relativePath: String) -> Bool {
        let components = HDF5Library.components(of: path, joining: relativePath)
        return HDF5Library.locked { HDF5Library.resolve(fileID: file.id, components: components) } == .group
    }

    /// The names of this group's members (groups, datasets, other links),
    /// in increasing name order.
    package func childNames() throws -> [String] {
        try HDF5Library.locked { () throws -> [String] in
            let group = H5Gopen2(file.id, path, kc_H5P_DEFAULT())
            guard group >= 0 else {
                throw HDF5Library.failure(.format, "cannot open HDF5 group \(path)", file: file.path)
            }
            defer { _ = H5Gclose(group) }
            guard let names = HDF5Library.collectNames({ callback, context in
                kc_iterate_link_names(group, callback, context)
            }) else {
                throw HDF5Library.failure(.format, "cannot list the members of HDF5 group \(path)", file: file.path)
            }
            return names
        }
    }

    /// The dataset at `relativePath` below this group ("dense/kernel:0").
    /// Throws a `.format` error naming the full path if there is none.
    package func dataset(_ relativePath: String) throws -> HDF5Dataset {
        let components = HDF5Library.components(of: path, joining: relativePath)
        let full = HDF5Library.path(components)
        return try HDF5Library.locked { () throws -> HDF5Dataset in
            switch HDF5Library.resolve(fileID: file.id, components: components) {
            case .dataset?: return try HDF5Dataset(file: file, path: full)
            case nil: throw KerasError(.format, "HDF5 dataset \(full) not found", file: file.path)
            case .group?: throw KerasError(.format, "\(full) is a group, not a dataset", file: file.path)
            case .other?: throw KerasError(.format, "\(full) is not a dataset", file: file.path)
            }
        }
    }

    /// Whether this group has an attribute called `name`. Never throws.
    package func hasAttribute(_ name: String) -> Bool {
        HDF5Attributes(file: file, objectPath: path).has(name)
    }

    /// The string attribute `name`, or nil if there is none.
    ///
    /// Accepts a scalar or one-element string attribute, fixed- or variable-
    /// length, ASCII or UTF-8 (always decoded as UTF-8), or a one-dimensional
    /// array of 8-bit integers holding the bytes. Anything else is a
    /// `.format` error.
    package func stringAttribute(_ name: String) throws -> String? {
        try HDF5Attributes(file: file, objectPath: path).string(name)
    }

    /// The string-list attribute `name`, or nil if there is none.
    ///
    /// Accepts an array of fixed- or variable-length strings, and any empty
    /// array (Keras writes an empty `weight_names` as an empty float64
    /// array) as `[]`. If `name` is absent but `name0`, `name1`, ... exist
    /// (Keras splits long lists into chunks), returns their concatenation up
    /// to the first missing index.
    package func stringListAttribute(_ name: String) throws -> [String]? {
        try HDF5Attributes(file: file, objectPath: path).stringList(name)
    }
}
