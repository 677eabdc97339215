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
# tsan   the concurrency test (16 threads predicting with one model, bit-identical to a serial run)
#        under ThreadSanitizer.
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
            swift test --sanitize=address --scratch-path .build/asan --skip hdf5CrashIsolated || status=1 ;;
        tsan)
            swift test --sanitize=thread --scratch-path .build/tsan --filter ConcurrencyTests || status=1 ;;
        ubsan)
            swift test --scratch-path .build/ubsan -Xcc -fsanitize=undefined -Xcc -fsanitize-trap=undefined \
                --filter 'KConvOpsTests|OutputConformanceTests|ConcurrencyTests' || status=1 ;;
        *)
            echo "sanitize: unknown run '$run' (asan, tsan, ubsan)" >&2
            exit 2 ;;
    esac
done
exit $status
