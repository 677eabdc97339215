/// A Sequential or Functional model used as a layer of another model.
///
/// Its config is a canonical graph (`GraphSpec.json`); its weights are one list, the sublayers'
/// weights in the order the sublayers are built.
struct NestedModel: Layer {
    let name: String
    let className: String
    let graph: GraphSpec
    let version: KerasVersion
    private(set) var model: LayerGraph?

    init(config: LayerConfig) throws {
        name = config.name
        className = config.className
        version = config.version
        graph = try GraphSpec(json: .object(config.values))
        _ = try LayerGraph.makeLayers(graph, version: version)
    }

    var weights: [Weight] { model?.layers.flatMap(\.weights) ?? [] }

    mutating func build(inputShapes: [Shape], weights: inout WeightReader) throws {
        let box = LayerGraph.SharedReader(weights)
        model = try LayerGraph(spec: graph, version: version, supply: .shared(box))
        weights = box.reader
        _ = try outputShapes(for: inputShapes)
    }

    func outputShapes(for inputShapes: [Shape]) throws -> [Shape] {
        guard let model else { throw KerasError(.format, "nested model '\(name)' used before it was built") }
        guard inputShapes.count == model.inputShapes.count else {
            throw KerasError(.shape, "nested model '\(name)' takes \(model.inputShapes.count) input(s), got \(inputShapes.count)")
        }
        for (given, expected) in zip(inputShapes, model.inputShapes) {
            let ok = given.count == expected.count && zip(given.dropFirst(), expected.dropFirst()).allSatisfy { g, e in g == nil || e == nil || g == e }
            guard ok else {
                throw KerasError(.shape, "nested model '\(name)' expects \(expected.kerasDescription), got \(given.kerasDescription)")
            }
        }
        let batch = inputShapes.first?.first ?? nil
        return model.outputShapes.map { [batch] + $0.dropFirst() }
    }

    func call(_ inputs: [Tensor]) throws -> [Tensor] {
        guard let model else { throw KerasError(.format, "nested model '\(name)' used before it was built") }
        return try model.predict(inputs)
    }
}
