import ArgumentParser
import KerasImport
import KerasRuntime

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the model's layers, output shapes and parameter counts, as Keras' model.summary() does."
    )

    @OptionGroup var source: ModelFile

    @Flag(name: .long, help: "Print JSON: {layers: [{name, class_name, output_shape, params}], total_params, trainable_params, non_trainable_params}.")
    var json = false

    func run() throws {
        let summary = try source.summary()
        print(json ? summary.json.serialized : summary.text)
    }
}
