import Foundation
import Testing
import TestSupport

/// The child `kconv` that reads HDF5 (`Isolation`) never outlives its parent.
@Suite("the HDF5 reader's child process")
struct IsolationTests {
    // Linux only: the test finds the child through /proc, and only Linux can tie the child to its
    // parent against SIGKILL (PR_SET_PDEATHSIG; see Isolation in Sources/kconv/KConv.swift).
    #if os(Linux)
    /// The state letter of process `pid` in `/proc` (`R`, `S`, `Z`, ...), nil once it is gone, and
    /// its parent's process id.
    static func status(_ pid: pid_t) -> (state: Character, parent: pid_t)? {
        // /proc files report a size of 0: read them to their end.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/stat") else { return nil }
        defer { try? handle.close() }
        let stat = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // "pid (comm) state ppid ...": the command name may hold spaces, so split after it.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        return (state, parent)
    }

    /// The children of `parent`, from `/proc`.
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { status($0)?.parent == parent }
    }

    /// Polls `condition` every 20 ms for at most `seconds`.
    static func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    @Test("killing kconv while its child reads ends the child too", arguments: [SIGKILL, SIGTERM, SIGINT])
    func childDiesWithParent(signal: Int32) throws {
        // The weights are a FIFO nobody writes to: the child blocks opening it, mid-read, for as
        // long as the test needs (the parent only looks at the JSON architecture).
        let dir = Repository.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("weights.h5").path
        #expect(mkfifo(weights, 0o600) == 0)
        let parent = Process()
        parent.executableURL = KConvRun.binary
        parent.arguments = ["import", KConvRun.caseFile("conv1d_lstm_json/model.json"), "--weights", weights,
                            "-o", dir.appendingPathComponent("out.kconv").path]
        parent.standardOutput = FileHandle.nullDevice
        parent.standardError = FileHandle.nullDevice
        try parent.run()
        var child: pid_t?
        let blocked = Self.wait(seconds: 20) {
            child = Self.children(of: parent.processIdentifier).first
            return child.flatMap { Self.status($0)?.state } == "S"
        }
        guard blocked, let child else {
            kill(parent.processIdentifier, SIGKILL)
            parent.waitUntilExit()
            Issue.record("kconv started no child reading the weights")
            return
        }

        kill(parent.processIdentifier, signal)
        parent.waitUntilExit()
        #expect(parent.terminationReason == .uncaughtSignal && parent.terminationStatus == signal,
                "kconv ends by the signal it got, not as a crash report")
        // Gone, or a zombie waiting for whichever process adopted it to reap it: not running.
        let ended = Self.wait(seconds: 10) { Self.status(child).map { $0.state == "Z" } ?? true }
        if !ended { kill(child, SIGKILL) }
        #expect(ended, "the child \(child) outlived kconv")
    }
    #endif
}
