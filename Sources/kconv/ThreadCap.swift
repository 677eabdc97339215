import ArgumentParser
import KerasRuntime

/// The `--threads` option of every subcommand that runs a model.
struct ThreadCap: ParsableArguments {
    @Option(name: .long, help: "The most threads a prediction uses (default: every core). Results do not depend on it.")
    var threads: Int?

    func validate() throws {
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024") }
    }

    /// The model configuration this option asks for.
    var configuration: KerasModel.Configuration { KerasModel.Configuration(threads: threads) }
}
