import Foundation
import KerasRuntime

/// Reads Keras model files of every generation: full-model `.h5` (Keras 1, multi-backend Keras 2,
/// tf.keras, Keras 3's legacy `.h5`), Keras 3 `.keras` archives, and a `to_json()` architecture with
/// an optional weights file (`save_weights()` `.h5`, or a Keras 3 `.weights.h5`).
///
/// The file kind is found from the first bytes, never from the extension (an HDF5 file named
/// `.keras` is read as HDF5); the Keras generation from the stored `keras_version`.
public enum KerasImporter {
    /// The kinds of file kconv recognises by their first bytes.
    enum FileKind {
        case hdf5, zip, json, kconv, unknown
    }

    /// Loads a model with its weights, ready to run: a full-model `.h5`, a `.keras` archive, a
    /// `.kconv` file, or a JSON architecture with its weights file `weightsPath`. The model's
    /// ``Provenance`` records the Keras version and the files' names and SHA-256; hashing reads the
    /// files once more, so a caller that only runs the model may pass `recordingProvenance: false`
    /// (the provenance of a Keras file is then nil; a `.kconv` file keeps the one it stores).
    ///
    /// Throws a ``KerasError`` naming the file: missing, damaged, not a Keras model, an unsupported
    /// layer, or a JSON architecture without weights (it would run on zeros).
    public static func load(_ path: String, weights weightsPath: String? = nil,
                            recordingProvenance: Bool = true) throws -> KerasModel {
        if case .kconv = try kind(of: path) {
            if let weightsPath {
                throw KerasError(.invalidArgument, "--weights is for a JSON architecture; \(path) is a .kconv file, which holds its weights (given weights: \(weightsPath))", file: path)
            }
            do { return try KerasModel(contentsOf: URL(fileURLWithPath: path)) } catch { throw error.inFile(path) }
        }
        let read = try graph(path, weights: weightsPath)
        guard read.hasWeights else {
            throw KerasError(.invalidArgument, "is a JSON architecture without weights: its weights file is needed to compute outputs", file: path)
        }
        let provenance = recordingProvenance
            ? try Provenance(kerasVersion: read.graph.kerasVersion.string, backend: read.backend, model: path, weights: weightsPath)
            : nil
        return try KerasModel(graph: read.graph, provenance: provenance)
    }

    /// The layers, output shapes and parameter counts of a model file, as Keras' `model.summary()`
    /// prints them. A JSON architecture needs no weights file for this.
    public static func summary(_ path: String, weights weightsPath: String? = nil) throws -> ModelSummary {
        if case .kconv = try kind(of: path) { return try load(path, weights: weightsPath).summary }
        return ModelSummary(try graph(path, weights: weightsPath).graph)
    }

    /// A Keras file's built graph (weights zero for a JSON architecture without weights), the
    /// backend it records, and whether real weights were read.
    typealias KerasFile = (graph: LayerGraph, backend: String?, hasWeights: Bool)

    /// Reads a Keras file (and a JSON architecture's weights file) into a built graph.
    static func graph(_ path: String, weights weightsPath: String?) throws -> KerasFile {
        do {
            switch try kind(of: path) {
            case .hdf5:
                if let weightsPath {
                    throw KerasError(.invalidArgument, "--weights is for a JSON architecture; \(path) is an HDF5 model file (given weights: \(weightsPath))")
                }
                return try loadFullH5(path)
            case .json:
                return try loadJSON(path, weightsPath: weightsPath)
            case .zip:
                if let weightsPath {
                    throw KerasError(.invalidArgument, "--weights is for a JSON architecture; \(path) is a .keras archive, which holds its weights (given weights: \(weightsPath))")
                }
                return try loadArchive(path)
            case .kconv:
                throw KerasError(.invalidArgument, "is a .kconv file, not a Keras file")
            case .unknown:
                throw KerasError(.format, "is not a Keras model file (neither HDF5, JSON nor .kconv)", file: path)
            }
        } catch {
            throw error.inFile(path)
        }
    }

    /// Whether loading `path` (with `weightsPath`) reads HDF5 data: a `.h5`, a `.keras` archive (its
    /// weights are HDF5), or a JSON architecture with a weights file. libhdf5 is not hardened against
    /// damaged files, so a tool may want to read those in a separate process (`kconv` does).
    package static func readsHDF5(_ path: String, weights weightsPath: String?) -> Bool {
        switch try? kind(of: path) {
        case .hdf5?, .zip?: return true
        case .json?: return weightsPath != nil
        default: return false
        }
    }

    /// Whether `path` is a `.kconv` file (by its first bytes).
    package static func isKConv(_ path: String) -> Bool {
        (try? kind(of: path)) == .kconv
    }

    /// Whether `path` is a JSON architecture (by its first bytes), which needs a weights file to run.
    package static func isArchitecture(_ path: String) -> Bool {
        (try? kind(of: path)) == .json
    }

    /// What to do with the TensorFlow SavedModel folder `path`, which holds a TensorFlow graph, not a Keras config.
    static func savedModelAdvice(_ path: String) -> String {
        "is a TensorFlow SavedModel folder, which kconv does not read (it holds a TensorFlow graph, not a Keras model config): re-save it as .keras with the Keras that wrote it, e.g. TF_USE_LEGACY_KERAS=1 python -c \"import tf_keras; tf_keras.models.load_model('\(path)').save('model.keras')\" (a SavedModel from tf.keras in TensorFlow ≤ 2.15), then give kconv model.keras"
    }

    static func kind(of path: String) throws -> FileKind {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            if FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("saved_model.pb")) {
                throw KerasError(.unsupported, Self.savedModelAdvice(path), file: path)
            }
            throw KerasError(.io, "is a directory, not a model file", file: path)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw KerasError(.io, "cannot be read", file: path) }
            throw KerasError(.io, "no such file", file: path)
        }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 64)) ?? Data())
        if head.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .hdf5 }
        if KConvFile.looksLikeSafeTensors(head) { return .kconv }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if head.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }) == UInt8(ascii: "{") { return .json }
        return .unknown
    }

    static func loadFullH5(_ path: String) throws -> KerasFile {
        let file = try HDF5File(path: path)
        let root = file.root
        guard let configText = try root.stringAttribute("model_config") else {
            if root.hasAttribute("layer_names") || root.hasAttribute("layer_names0") {
                throw KerasError(.format, "holds only weights (save_weights), no model_config: pass the model's JSON as MODEL and this file with --weights", file: path)
            }
            if root.hasGroup("layers") || root.hasGroup("vars") {
                throw KerasError(.format, "is a Keras 3 weights-only file (.weights.h5) with no model config", file: path)
            }
            throw KerasError(.format, "has no model_config attribute: it is not a Keras model file", file: path)
        }
        let version = KerasVersion(try root.stringAttribute("keras_version"))
        let weightsGroup = root.hasGroup("model_weights") ? try root.group("model_weights") : root
        let backend = try root.stringAttribute("backend") ?? weightsGroup.stringAttribute("backend")
        let graph = try ConfigDecoder(version: version).decodeModel(JSON(parsing: configText, what: "model_config"))
        let weights = try legacyWeights(file: file, group: weightsGroup, graph: graph, version: version, backend: backend)
        return (try LayerGraph(spec: graph, version: version, weights: weights), backend, true)
    }

    /// The weights of a legacy (Keras 1/2, Keras 3 legacy) `.h5` group, converted from the file's
    /// layouts (Keras 1, Theano kernels) to kconv's.
    static func legacyWeights(file: HDF5File, group: HDF5Group, graph: GraphSpec, version: KerasVersion,
                              backend: String?) throws -> any WeightSource {
        let stored = try LegacyH5Weights(file: file, group: group, graph: graph)
        let conversion = StoredWeightConversion(keras1: version.storesKeras1WeightLayouts, theano: backend == "theano")
        guard conversion.isNeeded else { return stored }
        return ConvertedWeights(base: stored, conversion: conversion, graph: graph)
    }

    /// A Keras 3 `.keras` zip archive: `config.json`, `metadata.json`, `model.weights.h5`.
    static func loadArchive(_ path: String) throws -> KerasFile {
        let archive = try KerasArchive(path: path)
        let version = archive.kerasVersion.map { KerasVersion($0) } ?? .inferredKeras3
        let graph = try ConfigDecoder(version: version).decodeModel(archive.config)
        guard let image = archive.weightsImage else {
            throw KerasError(.format, "is a .keras archive without \(KerasArchive.weightsName)", file: path)
        }
        let file = try HDF5File(image: image, name: "\(path) (\(KerasArchive.weightsName))")
        let weights = try Keras3Weights(file: file, graph: graph, version: version)
        return (try LayerGraph(spec: graph, version: version, weights: weights), nil, true)
    }

    /// Whether a config is Keras 3's (`module` keys, which no earlier Keras wrote in `to_json`).
    static func looksLikeKeras3(_ json: JSON) -> Bool {
        json["module"] != nil || json["config"]?["layers"]?.arrayValue?.first?["module"] != nil
    }

    static func loadJSON(_ path: String, weightsPath: String?) throws -> KerasFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KerasError(.io, "cannot be read", file: path)
        }
        guard data.count < 512 << 20 else { throw KerasError(.format, "is too large for a model JSON (\(data.count) bytes)", file: path) }
        let json = try JSON(parsing: data, what: "the model JSON")
        var version = json["keras_version"]?.stringValue.map { KerasVersion($0) }
        var backend = json["backend"]?.stringValue
        if version == nil, looksLikeKeras3(json) { version = .inferredKeras3 }

        /// What the weights file is: a legacy group (`layer_names`) or a Keras 3 `.weights.h5`.
        enum Source {
            case legacy(HDF5File, HDF5Group, weightsVersion: KerasVersion)
            case keras3(HDF5File)
        }
        var source: Source?
        if let weightsPath {
            do {
                let kind = try kind(of: weightsPath)
                guard kind == .hdf5 else {
                    throw KerasError(.format, kind == .zip ? "is a .keras archive, not a weights file: pass it as MODEL on its own" : "is not an HDF5 weights file", file: weightsPath)
                }
                let file = try HDF5File(path: weightsPath)
                let root = file.root
                let group = root.hasGroup("model_weights") ? try root.group("model_weights") : root
                if !group.hasAttribute("layer_names"), !group.hasAttribute("layer_names0"),
                   root.hasGroup("layers") || root.hasGroup("vars") {
                    source = .keras3(file)
                    if version == nil { version = .inferredKeras3 }
                } else {
                    // Keras 2's loader takes a weights file without keras_version for Keras 1's.
                    let stored = try group.stringAttribute("keras_version") ?? root.stringAttribute("keras_version")
                    let weightsVersion = stored.map { KerasVersion($0) } ?? .inferredKeras1
                    if version == nil { version = weightsVersion }
                    if backend == nil { backend = try group.stringAttribute("backend") ?? root.stringAttribute("backend") }
                    source = .legacy(file, group, weightsVersion: weightsVersion)
                }
            } catch {
                throw error.inFile(weightsPath)
            }
        }
        let modelVersion = version ?? KerasVersion(nil)
        let graph = try ConfigDecoder(version: modelVersion).decodeModel(json)
        let model: LayerGraph
        do {
            switch source {
            case .legacy(let file, let group, let weightsVersion)?:
                let weights = try legacyWeights(file: file, group: group, graph: graph, version: weightsVersion, backend: backend)
                model = try LayerGraph(spec: graph, version: modelVersion, weights: weights)
            case .keras3(let file)?:
                model = try LayerGraph(spec: graph, version: modelVersion, weights: Keras3Weights(file: file, graph: graph, version: modelVersion))
            case nil:
                model = try LayerGraph(spec: graph, version: modelVersion, weights: nil)
            }
        } catch {
            throw error.inFile(weightsPath ?? path)
        }
        return (model, backend, source != nil)
    }
}
