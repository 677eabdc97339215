/// Where a converted model came from: the metadata recorded next to its graph.
public struct Provenance: Sendable, Equatable {
    /// The Keras release that wrote the source file (`"2.21.0"`, `"3.6.0"` ...).
    public var kerasVersion: String
    /// The backend the source file records (`tensorflow`, `jax` ...), if any.
    public var backend: String?
    /// The source model file's name (without its directory).
    public var sourceName: String
    /// The SHA-256 of the source model file, as 64 lowercase hex digits.
    public var sourceSHA256: String
    /// The separate weights file of a JSON architecture, if there was one: its name.
    public var weightsName: String?
    /// The SHA-256 of that weights file.
    public var weightsSHA256: String?

    public init(kerasVersion: String, backend: String?, sourceName: String, sourceSHA256: String,
                weightsName: String? = nil, weightsSHA256: String? = nil) {
        (self.kerasVersion, self.backend) = (kerasVersion, backend)
        (self.sourceName, self.sourceSHA256) = (sourceName, sourceSHA256)
        (self.weightsName, self.weightsSHA256) = (weightsName, weightsSHA256)
    }
}
