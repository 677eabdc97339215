import Foundation

/// Page faults taken in bulk for large buffers about to be written whole (weights read from a file,
/// packed weights): where the system offers it (Linux 5.14 on, `MADV_POPULATE_WRITE`), one call maps
/// the buffer's pages instead of one fault per 4 KiB on first write.
///
/// Measured on the project's VM, A's `.kconv` load plus first prediction, each process run right
/// after an ONNX Runtime process (as `Tools/bench/benchmark.py` runs them), medians of 6: 11.2 ms
/// prefaulted, 13.0 ms with a fault per page, 26.9 ms on transparent huge pages (9.5–47.8 ms: zeroing
/// the 2 MiB pages took up to half of the process's time). Buffers under 64 KiB are left alone.
package enum Prefault {
    /// The smallest buffer worth the call.
    package static let minimumSize = 64 << 10

    /// Maps the whole 4 KiB pages of `buffer` now, before it is first written. Advice only: nothing
    /// changes where the call is not supported or fails.
    package static func pages(of buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard let base = buffer.baseAddress, buffer.count >= minimumSize else { return }
        let page = 4096
        let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(page - 1)
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        /// `MADV_POPULATE_WRITE` (Linux 5.14), not in older C headers.
        let populateWrite: Int32 = 23
        _ = madvise(pointer, end - start, populateWrite)
        #endif
    }
}
