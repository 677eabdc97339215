#!/usr/bin/env bash
# Builds one fuzz target with libFuzzer and AddressSanitizer and runs it for SECONDS (not part of CI).
#
#   Tools/fuzz.sh TARGET SECONDS [libFuzzer options...]
#   Tools/fuzz.sh list
#
# TARGET is a folder of Fuzz/Targets (npy, kconv, config, keras-zip, ...): one Swift file defining
# LLVMFuzzerTestOneInput, built as the executable fuzz-TARGET when KCONV_FUZZ is set (see
# Package.swift); adding a target is adding such a folder. Its seeds are Fuzz/Corpus/TARGET (small
# files from Conformance/, written by Tools/make_fuzz_seeds.py), copied into a working corpus under
# .build/fuzz/corpus/TARGET that grows run after run. Findings (crash-*, leak-*, timeout-*, oom-*)
# are written to .build/fuzz/findings/TARGET; each one becomes a regression test with its
# minimized input (libFuzzer's -minimize_crash=1 -runs=... on the finding gives that).
# FUZZ_CONFIGURATION=debug builds unoptimized (faster to build, far slower to run).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=$(ls Fuzz/Targets)
if [ "${1:-}" = list ] || [ $# -lt 2 ]; then
    echo "usage: Tools/fuzz.sh TARGET SECONDS [libFuzzer options...]; targets:" $targets >&2
    [ "${1:-}" = list ]
    exit
fi
target=$1 seconds=$2
shift 2
if [ ! -d "Fuzz/Targets/$target" ]; then
    echo "fuzz: no target '$target' (targets: $targets)" >&2
    exit 2
fi
configuration=${FUZZ_CONFIGURATION:-release}
# -sanitize=fuzzer would link libFuzzer's own main, which SwiftPM's executables cannot use (see
# Package.swift): the same coverage instrumentation instead, and libFuzzer without its main.
fuzzer_library=$(ls "$(dirname "$(dirname "$(command -v swiftc)")")"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a | head -1)
KCONV_FUZZ=1 swift build -c "$configuration" --scratch-path .build/fuzz --product "fuzz-$target" \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xlinker "$fuzzer_library" -Xlinker -lstdc++
binary=".build/fuzz/$configuration/fuzz-$target"
corpus=".build/fuzz/corpus/$target" findings=".build/fuzz/findings/$target"
mkdir -p "$corpus" "$findings"
if [ -d "Fuzz/Corpus/$target" ]; then
    cp -n "Fuzz/Corpus/$target"/* "$corpus"/ 2>/dev/null || true
fi
# One process, one job; at most 4 GB of memory in one input's run (an input that needs more is a
# finding: kconv's memory must stay bounded by the model's real size); a 10 s run is a timeout.
exec "$binary" "$corpus" -max_total_time="$seconds" -artifact_prefix="$findings/" \
    -rss_limit_mb=4096 -timeout=10 -max_len=65536 -print_final_stats=1 "$@"
