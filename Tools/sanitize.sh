#!/usr/bin/env bash
# Runs kconv's tests under the sanitizers (not part of CI: each run rebuilds everything in its own
# build directory, .build/asan, .build/tsan, .build/ubsan, and takes long on a small machine).
#
#   Tools/sanitize.sh [asan] [tsan] [ubsan]     (default: all three)
#
# asan   the whole test suite under AddressSanitizer, except
#          - CommandTests/hdf5CrashIsolated: it makes libhdf5 dereference a bad pointer in the child
#            kconv on purpose; under ASan the child dies of ASan's report, not the signal the test
#            expects (the crash is the test's input, not a bug in kconv).
#          - ComparisonULPTests/distances: ASan reports a 9-byte read of an 8-byte stack slot in the
#            compiler-generated thunk that hands `#expect(ulpDistance(1, -1) == 2 * 0x3F80_0000)`'s
#            operands to Swift Testing as AnyHashable (an Optional<UInt64>, 9 bytes, read from a
#            UInt64's slot; ComparisonTests.swift:24). Nothing of kconv's is on that stack: it is
#            the Swift 6.3 toolchain's, and ASan stops the whole run at its first report.
#        Leak detection is off: at exit LeakSanitizer reports XCTest's own objects in the test runner
#        and Foundation's (Process, FileHandle) in kconv processes that end with exit(), which makes
#        the command-line tests fail on kconv's non-zero exit status.
# tsan   the concurrency tests under ThreadSanitizer: 16 threads predicting with one model (bit-identical
#        to a serial run), CKernels' thread pool (nested regions, regions from many threads) and
#        recurrences, Winograd convolutions and sliced runs of layers split over threads.
# ubsan  the C kernels (Sources/CKernels, and every other C file) under UndefinedBehaviorSanitizer
#        in trap mode (Swift on Linux refuses -sanitize=undefined; trap mode needs no runtime), run
#        through the kernel and conformance tests: any undefined behaviour is a SIGILL.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(asan tsan ubsan)
status=0
for run in "${runs[@]}"; do
    echo "== $run"
    case $run in
        asan)
            ASAN_OPTIONS=detect_leaks=0 swift test --sanitize=address --scratch-path .build/asan --skip 'hdf5CrashIsolated|ComparisonULPTests/distances' || status=1 ;;
        tsan)
            swift test --sanitize=thread --scratch-path .build/tsan --filter 'ConcurrencyTests|ParallelTests|DenseRecurrenceTests|WinogradConvolutionTests|SlicedRunTests' || status=1 ;;
        ubsan)
            swift test --scratch-path .build/ubsan -Xcc -fsanitize=undefined -Xcc -fsanitize-trap=undefined \
                --filter 'KConvOpsTests|OutputConformanceTests|ConcurrencyTests' || status=1 ;;
        *)
            echo "sanitize: unknown run '$run' (asan, tsan, ubsan)" >&2
            exit 2 ;;
    esac
done
exit $status
