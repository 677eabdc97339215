import Foundation

/// How many threads the products and convolutions of one prediction may use.
///
/// A caller caps it for the work it runs inside `ThreadBudget.$cap.withValue(n) { ... }` (a task-local
/// value, also seen by synchronous code on the same thread); without a cap, every active processor.
/// Results never depend on it: only where the work is split changes, not the operations per element.
package enum ThreadBudget {
    /// The cap set by the caller, if any.
    @TaskLocal package static var cap: Int?
    /// The active processor count of this machine.
    package static let processors = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Threads the current work may use: the cap, at most the processor count, at least 1.
    package static var threads: Int { max(1, min(processors, cap ?? processors)) }
}
