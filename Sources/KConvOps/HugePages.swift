import Foundation

/// Transparent huge pages for large buffers written once: where the system offers them (Linux,
/// THP `always` or `madvise`), the first write to each 2 MiB takes one page fault instead of 512.
///
/// Filling a fresh 5.3 MB buffer took ~3.5 ms on a VM (a ~2.5 µs fault per 4 KiB), ~1.5–2 ms on
/// huge pages (the kernel still zeroes them). Buffers under 2 MiB are left alone.
package enum HugePages {
    /// The huge page size on Linux x86-64 and arm64 (with 4 KiB base pages).
    package static let size = 2 << 20

    /// Asks for huge pages under the whole 2 MiB-aligned blocks of `buffer`, before it is first
    /// written. Advice only: nothing changes where huge pages are off or the call fails.
    package static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard let base = buffer.baseAddress, buffer.count >= size else { return }
        let start = (Int(bitPattern: base) + size - 1) & ~(size - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(size - 1)
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, end - start, MADV_HUGEPAGE)
        #endif
    }
}
