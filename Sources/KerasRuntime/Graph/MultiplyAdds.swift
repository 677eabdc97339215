/// The multiply-adds of the layers that do matrix products (dense, convolution, recurrent), for
/// the GFLOP/s `kconv bench` reports. Bias additions, activations, pooling and copies are not
/// counted (as in `../shared/bench/meta.json`: FLOPs = 2 × multiply-adds).
protocol CountsMultiplyAdds {
    /// The multiply-adds of one call on inputs of `inputShapes` (batch included, every dimension known).
    func multiplyAdds(inputShapes: [[Int]]) -> Int
}

extension LayerGraph {
    /// For each layer call, in execution order: the layer's name and the call's multiply-adds on a
    /// batch of `batch` (unknown dimensions other than the batch count as `unknown`).
    package func multiplyAdds(batch: Int, unknown: Int = 8) -> [(layer: String, multiplyAdds: Int)] {
        steps.map { step in
            let shapes = step.inputs.map { v in
                valueShapes[v].enumerated().map { i, d in d ?? (i == 0 ? batch : unknown) }
            }
            let layer = layers[step.layer]
            return (layer.name, LayerGraph.multiplyAdds(of: layer, inputShapes: shapes))
        }
    }

    static func multiplyAdds(of layer: any Layer, inputShapes: [[Int]]) -> Int {
        (layer as? any CountsMultiplyAdds)?.multiplyAdds(inputShapes: inputShapes) ?? 0
    }
}

extension Dense: CountsMultiplyAdds {
    func multiplyAdds(inputShapes: [[Int]]) -> Int {
        (inputShapes.first?.reduce(1, *) ?? 0) * units
    }
}

extension Convolution: CountsMultiplyAdds {
    func multiplyAdds(inputShapes: [[Int]]) -> Int {
        guard let x = inputShapes.first, let out = try? outputShape(for: x.map { $0 }) else { return 0 }
        let outputs = out.reduce(1) { $0 * ($1 ?? 0) }
        return outputs * options.axes.map(\.size).reduce(1, *) * (channels / max(options.groups, 1))
    }
}

extension RecurrentLayer {
    func multiplyAdds(inputShapes: [[Int]]) -> Int {
        guard let x = inputShapes.first, x.count == 3 else { return 0 }
        return x[0] * x[1] * (x[2] + core.units) * core.gateWidth
    }
}

extension LSTM: CountsMultiplyAdds {}
extension GRU: CountsMultiplyAdds {}
extension SimpleRNN: CountsMultiplyAdds {}

extension TimeDistributed: CountsMultiplyAdds {
    func multiplyAdds(inputShapes: [[Int]]) -> Int {
        guard let x = inputShapes.first, x.count >= 3 else { return 0 }
        return LayerGraph.multiplyAdds(of: inner, inputShapes: [[x[0] * x[1]] + x[2...]])
    }
}

extension Bidirectional: CountsMultiplyAdds {
    func multiplyAdds(inputShapes: [[Int]]) -> Int {
        guard let x = inputShapes.first else { return 0 }
        return LayerGraph.multiplyAdds(of: forward, inputShapes: [x]) + LayerGraph.multiplyAdds(of: backward, inputShapes: [x])
    }
}
