import ArgumentParser
import Foundation
import KerasImport
import KerasRuntime

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the model on .npy inputs and write its outputs as .npy files."
    )

    @OptionGroup var source: ModelFile

    @OptionGroup var threadCap: ThreadCap

    @Option(name: .long, help: "An input .npy, one per model input, in the model's input order.")
    var input: [String] = []

    @Option(name: .long, help: "Where to write an output .npy, one per model output, in order.")
    var output: [String] = []

    func run() throws {
        let model = try source.load().configured(threadCap.configuration)
        guard output.count == model.outputs.count else {
            throw KerasError(.invalidArgument, "the model has \(model.outputs.count) output(s) (\(model.outputs.map(\.name).joined(separator: ", "))); give one --output for each", file: source.path)
        }
        let results = try RunInputs.predict(model, inputs: input, modelPath: source.path)
        for (tensor, path) in zip(results, output) {
            try Npy.write(tensor, to: URL(fileURLWithPath: path))
        }
    }
}

/// Reads the `--input` files and runs the model on them.
enum RunInputs {
    /// Reads the `--input` files, checks them against the model's inputs and runs the model.
    static func predict(_ model: KerasModel, inputs: [String], modelPath: String) throws -> [Tensor] {
        try run(model, on: try read(inputs, for: model, modelPath: modelPath), modelPath: modelPath)
    }

    /// Runs the model, handing every layer call's outputs to `observer` when one is given; errors
    /// name the model file.
    static func run(_ model: KerasModel, on tensors: [Tensor], modelPath: String,
                    observing observer: ((String, Int, [Tensor]) throws -> Void)? = nil) throws -> [Tensor] {
        do {
            guard let observer else { return try model.predict(tensors) }
            return try model.predict(tensors, observing: observer)
        } catch {
            throw error.inFile(modelPath)
        }
    }

    /// Reads the `--input` files and checks them against the model's inputs.
    static func read(_ inputs: [String], for model: KerasModel, modelPath: String) throws -> [Tensor] {
        guard inputs.count == model.inputs.count else {
            let expected = model.inputs.map(\.description).joined(separator: ", ")
            throw KerasError(.invalidArgument, "the model takes \(model.inputs.count) input(s) (\(expected)); got \(inputs.count) --input", file: modelPath)
        }
        let tensors = try inputs.map { try Npy.read(URL(fileURLWithPath: $0)) }
        for (i, (t, path)) in zip(tensors, inputs).enumerated() {
            let expected = model.inputs[i].shape
            let ok = t.rank == expected.count && zip(t.shape, expected).allSatisfy { $1 == nil || $0 == $1 }
            guard ok else {
                throw KerasError(.shape, "has shape \(t.shape); model input \(i) ('\(model.inputs[i].name)') needs \(expected.kerasDescription)", file: path)
            }
        }
        return tensors
    }
}
