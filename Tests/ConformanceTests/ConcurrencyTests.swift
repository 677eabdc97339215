import Dispatch
import Foundation
import Testing
import KerasRuntime

/// One loaded model shared by many threads predicting at once gives, on every thread, exactly the
/// outputs of a serial run: `KerasModel` is Sendable and its layers keep no state between calls.
/// Tools/sanitize.sh runs this test under ThreadSanitizer.
@Suite("concurrent predictions")
struct ConcurrencyTests {
    static let threads = 16
    static let cases = ["cnn_lstm", "k3_gru", "attention_dot", "batchnorm", "bidirectional_merge", "k3_mha_keras"]
        .compactMap { name in ConformanceCase.all.first { $0.name == name } }

    @Test("16 threads predicting with one model at once give the serial run's outputs, bit for bit", arguments: cases)
    func sixteenThreads(_ c: ConformanceCase) throws {
        let model = try c.load()
        let inputs = try c.files("inputs").map { try Npy.read(URL(fileURLWithPath: $0)) }
        let serial = try model.predict(inputs).map { $0.scalars.map(\.bitPattern) }
        let results = Results(count: Self.threads)
        DispatchQueue.concurrentPerform(iterations: Self.threads) { thread in
            results.set(thread, Result { try model.predict(inputs).map { $0.scalars.map(\.bitPattern) } })
        }
        for (thread, result) in results.all.enumerated() {
            let outputs = try #require(try result?.get(), "thread \(thread) gave no result")
            #expect(outputs == serial, "thread \(thread) differs from the serial run")
        }
    }

    /// The threads' results, each written once under a lock.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Result<[[UInt32]], any Error>?]

        init(count: Int) { values = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ value: Result<[[UInt32]], any Error>) {
            lock.withLock { values[index] = value }
        }

        var all: [Result<[[UInt32]], any Error>?] { lock.withLock { values } }
    }
}
