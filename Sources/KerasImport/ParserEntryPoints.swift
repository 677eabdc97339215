import KerasRuntime

/// The parsers of a user's file, reachable without the whole import, for the fuzz targets in
/// `Fuzz/` (see Tools/fuzz.sh).
package enum ParserEntryPoints {
    /// The Keras versions a config is decoded for, as the importer's readers do: the model JSON's
    /// own `keras_version` (or none), Keras 2 (an `.h5` file's `model_config`) and Keras 3
    /// inferred (a `.keras` archive's `config.json` without `metadata.json`).
    package static func configVersions(_ bytes: [UInt8]) -> [KerasVersion] {
        let own = (try? JSON(parsing: bytes))?["keras_version"]?.stringValue
        return [KerasVersion(own), KerasVersion("2.15.0"), .inferredKeras3]
    }

    /// Decodes a Keras model config for `version` as the importer does, checks its input shapes
    /// and makes every layer from its config. No weights are allocated, so shape inference (which
    /// builds the layers with their weights) is not run.
    package static func decodeConfig(_ bytes: [UInt8], version: KerasVersion) throws -> GraphSpec {
        let json = try JSON(parsing: bytes, what: "the model config")
        let graph = try ConfigDecoder(version: version).decodeModel(json)
        try graph.checkInputShapes(what: "the model config")
        _ = try LayerGraph.makeLayers(graph, version: version)
        return graph
    }

    /// Reads the members kconv needs from the `.keras` archive at `path`, with every check.
    package static func readArchive(_ path: String) throws {
        _ = try KerasArchive(path: path)
    }
}
