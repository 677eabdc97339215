import Dispatch
import Testing
import KConvOps

/// CKernels' thread pool through `Parallel.run`: every part runs exactly once, whatever the thread
/// count, when regions follow each other, nest, or come from several threads at once.
struct ParallelTests {
    /// Counts per part, written by the parts themselves (each part its own slot).
    final class Counts: @unchecked Sendable {
        let slots: UnsafeMutablePointer<Int>
        let count: Int
        init(_ count: Int) {
            self.count = count
            slots = .allocate(capacity: count)
            slots.initialize(repeating: 0, count: count)
        }
        deinit { slots.deallocate() }
        var array: [Int] { Array(UnsafeBufferPointer(start: slots, count: count)) }
    }

    @Test("every part runs once, for any number of parts and threads, region after region")
    func everyPartOnce() {
        for threads in [1, 2, 3, 8] {
            for parts in [0, 1, 2, 5, 64, 1000] {
                let counts = Counts(parts)
                Parallel.run(parts: parts, threads: threads) { counts.slots[$0] += 1 }
                #expect(counts.array == Array(repeating: 1, count: parts), "threads \(threads), parts \(parts)")
            }
        }
    }

    @Test("a region inside a part, and regions from many threads at once, run all their parts")
    func nestedAndConcurrentRegions() {
        let outer = 6, inner = 50
        let counts = Counts(outer * inner)
        Parallel.run(parts: outer, threads: 4) { o in
            Parallel.run(parts: inner, threads: 4) { i in counts.slots[o * inner + i] += 1 }
        }
        #expect(counts.array == Array(repeating: 1, count: outer * inner))

        let callers = 8, perCaller = 200
        let many = Counts(callers * perCaller)
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for round in 0..<4 {
                Parallel.run(parts: perCaller / 4, threads: 3) { p in many.slots[c * perCaller + round * perCaller / 4 + p] += 1 }
            }
        }
        #expect(many.array == Array(repeating: 1, count: callers * perCaller))
    }
}
