import ArgumentParser
import Foundation
import KerasImport
import KerasRuntime

/// `kconv`: import, inspect, run and verify Keras models.
struct KConv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kconv",
        abstract: "Bring trained Keras models into Swift: inspect, run and verify them without Python.",
        discussion: "MODEL is a full-model .h5 file, a model .json with --weights W.h5, or a .kconv file made by 'kconv import'.",
        subcommands: [Import.self, Summary.self, Predict.self, Verify.self, Bench.self]
    )
}

/// The model file arguments every subcommand takes.
struct ModelOptions: ParsableArguments {
    @Argument(help: "The model: a full-model .h5, a model .json (with --weights), or a .kconv.")
    var model: String

    @Option(name: .long, help: "The weights .h5 for a JSON architecture.")
    var weights: String?

    func load() throws -> ImportedModel {
        try KerasImporter.load(model, weights: weights)
    }
}

/// Exit statuses: 0 success, 1 a verification mismatch, 2 could not run.
enum Exit {
    static let mismatch: Int32 = 1
    static let failure: Int32 = 2
}

@main
enum KConvMain {
    static func main() {
        do {
            var command = try KConv.parseAsRoot()
            try command.run()
        } catch let error as KerasError {
            fail(error.description)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let status = KConv.exitCode(for: error)
            if status == .success {
                print(KConv.fullMessage(for: error))
                exit(0)
            }
            fail(KConv.message(for: error) + " (see 'kconv --help')")
        }
    }

    /// Prints one line on stderr and exits with status 2.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(Exit.failure)
    }
}
