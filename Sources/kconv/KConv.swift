import ArgumentParser
import CProcess
import Foundation
import KerasImport
import KerasRuntime

/// `kconv`: import, inspect, run and verify Keras models.
struct KConv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kconv",
        abstract: "Bring trained Keras models into Swift: inspect, run and verify them without Python.",
        discussion: "MODEL is a full-model .h5 file, a model .json with --weights W.h5, or a .kconv file made by 'kconv import'.",
        version: KConv.version,
        subcommands: [Import.self, Summary.self, Predict.self, Score.self, Verify.self, Bench.self]
    )
}

extension KConv {
    /// What `kconv --version` prints.
    static let version = "kconv 0.1.0 (writes .kconv format version 1)"
}

/// The model file arguments every subcommand takes.
struct ModelFile: ParsableArguments {
    @Argument(help: "The model: a full-model .h5, a .keras archive, a model .json (with --weights), or a .kconv.")
    var path: String

    @Option(name: .long, help: "The weights .h5 for a JSON architecture.")
    var weights: String?

    /// Loads the model with its weights, ready to run: a JSON architecture without `--weights` is
    /// refused, as its weights would be zeros. Only `import` records the provenance (the source
    /// files' SHA-256, an extra read of each file). A file that libhdf5 reads is read in a child `kconv`
    /// (see `Isolation`), so that a damaged file which crashes libhdf5 is one clear error, not a crash.
    func load(recordingProvenance: Bool = false) throws -> KerasModel {
        if weights == nil, KerasImporter.isArchitecture(path) {
            throw KerasError(.invalidArgument, "is a JSON architecture without weights: give its weights file with --weights W.h5 (only 'kconv summary' works on an architecture alone)", file: path)
        }
        try isolateHDF5()
        return try KerasImporter.load(path, weights: weights, recordingProvenance: recordingProvenance)
    }

    /// Whether the model is a `.kconv` file (which may hold test vectors).
    var isKConv: Bool { KerasImporter.isKConv(path) }

    /// The model's summary; a JSON architecture needs no weights for it.
    func summary() throws -> ModelSummary {
        try isolateHDF5()
        return try KerasImporter.summary(path, weights: weights)
    }

    private func isolateHDF5() throws {
        if KerasImporter.readsHDF5(path, weights: weights) { try Isolation.runCommandInChild(reading: path) }
    }
}

/// Runs the whole command again in a child process when it reads HDF5, and reports the child's
/// death by a signal as one error line naming the file: libhdf5 may crash on damaged files
/// (random byte flips in a real model make it dereference bad pointers now and then), and no
/// check before it can rule that out. The child inherits stdout and the arguments; its stderr is
/// passed on when it exits normally.
///
/// The child never outlives the parent: on Linux it asks the kernel for SIGKILL when the parent
/// dies (`PR_SET_PDEATHSIG`), whatever kills the parent, and the parent passes SIGINT and SIGTERM on
/// to the child and then dies of the same signal (see `CProcess`). On Apple platforms there is no
/// such request: the signals are passed on all the same, but a child whose parent is killed with
/// SIGKILL runs on until its read ends.
enum Isolation {
    /// Set in the child's environment, to the parent's process id.
    static let childVariable = "KCONV_ISOLATED_CHILD"

    /// In the child (the environment says so), ties its life to the parent's; does nothing in
    /// other processes. Called first thing in `main`.
    static func bindChildToParent() {
        guard let value = ProcessInfo.processInfo.environment[childVariable] else { return }
        // The launcher may have blocked or ignored SIGINT and SIGTERM (the child inherits that):
        // the child takes their default action, so the signals the parent passes on end it.
        kconv_default_signals()
        if let parent = pid_t(value), kconv_die_with_parent(SIGKILL, parent) == 0 {
            exit(Exit.failure)  // the parent died before the request was in place
        }
    }

    /// Returns at once in the child; in the parent, runs the child and exits with its status.
    static func runCommandInChild(reading path: String) throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment[childVariable] == nil, let executable = Bundle.main.executableURL else { return }
        let child = Process()
        child.executableURL = executable
        child.arguments = Array(CommandLine.arguments.dropFirst())
        // No Swift crash report from the child: the parent reports a crash in one line.
        child.environment = environment.merging([childVariable: String(getpid()), "SWIFT_BACKTRACE": "enable=no"]) { _, new in new }
        let errors = Pipe()
        child.standardError = errors
        do {
            try child.run()
        } catch {
            return  // cannot isolate: read in this process
        }
        // SIGINT, SIGTERM and SIGHUP go on to the child (`Interruption`); the parent then ends as the child did.
        Interruption.child.pid = child.processIdentifier
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        if child.terminationReason == .uncaughtSignal {
            let signal = child.terminationStatus
            if signal == SIGINT || signal == SIGTERM {
                // Interrupted or terminated, not a crash.
                kconv_default_signals()
                kill(getpid(), signal)
            }
            throw KerasError(.format, "is damaged: reading it crashed the HDF5 library (signal \(signal)\(signalName(signal)))", file: path)
        }
        FileHandle.standardError.write(message)
        exit(child.terminationStatus)
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return ", SIGSEGV"
        case SIGBUS: return ", SIGBUS"
        case SIGABRT: return ", SIGABRT"
        case SIGILL: return ", SIGILL"
        case SIGFPE: return ", SIGFPE"
        default: return ""
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: passes the signal on to the child `kconv` reading HDF5 (see
/// `Isolation`) and waits for it, removes the temporary files of unfinished outputs (the files they
/// would replace stay whole), then ends by the same signal (the shell reports 128 + the signal).
enum Interruption {
    /// The child `kconv` running the command, when there is one.
    static let child = ChildProcess()

    static func removeUnfinishedOutputs() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if let pid = child.pid {
                    kill(pid, sig)
                    var status: Int32 = 0
                    waitpid(pid, &status, 0)
                }
                OutputFile.discardAllUnfinished()
                // End by the signal itself, as its default action would (the shell shows 128 + it).
                kconv_default_signals()
                signal(SIGHUP, SIG_DFL)
                kill(getpid(), sig)
                Thread.sleep(forTimeInterval: 1)
                exit(128 + sig)
            }
            source.resume()
            handlers.append(source)
        }
    }

    /// The signal sources, kept for the life of the process.
    private static let handlers = SignalSources()

    final class ChildProcess: @unchecked Sendable {
        private let lock = NSLock()
        private var value: pid_t?
        var pid: pid_t? {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }

    final class SignalSources: @unchecked Sendable {
        private let lock = NSLock()
        private var sources: [any DispatchSourceSignal] = []
        func append(_ source: any DispatchSourceSignal) { lock.withLock { sources.append(source) } }
    }
}

/// Exit statuses: 0 success, 1 a verification mismatch, 2 could not run (a file that cannot be
/// used), 64 a usage error (unknown option, missing or malformed argument; argument-parser's
/// `EX_USAGE`, printed with the subcommand's usage).
enum Exit {
    static let mismatch: Int32 = 1
    static let failure: Int32 = 2
}

@main
enum KConvMain {
    static func main() {
        MemoryReuse.keepFreedMemory()
        Isolation.bindChildToParent()
        Interruption.removeUnfinishedOutputs()
        do {
            var command = try KConv.parseAsRoot()
            try command.run()
        } catch let error as KerasError {
            fail(error.description)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            // Help, --version, and usage errors (exit 64 with the subcommand's usage), as
            // argument-parser reports them.
            KConv.exit(withError: error)
        }
    }

    /// Prints one line on stderr and exits with status 2.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(Exit.failure)
    }
}
