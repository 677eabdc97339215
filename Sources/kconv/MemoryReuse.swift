import CProcess

/// Keeps the memory of one prediction's arrays for the next one (glibc only).
///
/// By default glibc maps every block above 128 KiB fresh from the kernel and gives the top of the heap
/// back once a few hundred KiB there are free, so each prediction faults its arrays in again, page by
/// page. `kconv bench` on C (the LSTM autoencoder) loaded from its `.kconv`, batch 64: about 320 page
/// faults and 0.4 ms (35 %) more per prediction than with `kconv_keep_freed_memory`'s settings. Peak
/// memory is unchanged; memory freed after the peak stays with the process until it exits. (Apps that
/// embed KerasRuntime on Linux can do the same: see the README.)
enum MemoryReuse {
    static func keepFreedMemory() {
        kconv_keep_freed_memory()
    }
}
