import CKernels

/// Runs the parts of a split computation on CKernels' thread pool (`kconv_parallel`), whose workers
/// stay awake between the regions of a prediction.
package enum Parallel {
    /// Calls `body(p)` for every `p` in `0..<parts`, on up to `threads` threads, and returns when all
    /// are done. With one thread or one part, on the calling thread.
    package static func run(parts: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        guard parts > 1, threads > 1 else {
            for p in 0..<parts { body(p) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let job = Job(body: body)
            withExtendedLifetime(job) {
                kconv_parallel(parts, Int32(clamping: threads), { context, part in
                    guard let context else { return }
                    Unmanaged<Job>.fromOpaque(context).takeUnretainedValue().body(part)
                }, Unmanaged.passUnretained(job).toOpaque())
            }
        }
    }

    /// The closure as the C pool's context.
    private final class Job: Sendable {
        let body: @Sendable (Int) -> Void
        init(body: @escaping @Sendable (Int) -> Void) { self.body = body }
    }
}
