#!/usr/bin/env bash
# Builds and runs Examples/EMGClassifier (an app that embeds a .kconv model through KerasRuntime
# only), and checks that it passes its stored test vectors, prints one prediction per block,
# and does not link libhdf5. Then builds and tests Examples/TypedModels, whose typed model classes
# KConvModelPlugin generates at build time (compiled with warnings as errors), against Keras' outputs.
#
#   Tools/run_example.sh            # debug build
#   Tools/run_example.sh release    # release build
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:-debug}"
example=Examples/EMGClassifier
scratch="$example/.build"

swift build --package-path "$example" --scratch-path "$scratch" -c "$config"
binary="$(swift build --package-path "$example" --scratch-path "$scratch" -c "$config" --show-bin-path)/EMGClassifier"

output="$("$binary")"
echo "$output"

status=0
if ! grep -q "stored test vectors: PASS" <<<"$output"; then
    echo "run_example: the example's stored test vectors did not pass" >&2
    status=1
fi
if [ "$(grep -c '^block ' <<<"$output")" -lt 1 ]; then
    echo "run_example: the example printed no prediction" >&2
    status=1
fi
if command -v ldd >/dev/null; then
    if ldd "$binary" | grep -qi hdf5; then
        echo "run_example: $binary links libhdf5; an app embedding KerasRuntime must not" >&2
        status=1
    else
        echo "run_example: $binary does not link libhdf5"
    fi
fi
typed=Examples/TypedModels
if ! swift test --package-path "$typed" --scratch-path "$typed/.build" -c "$config"; then
    echo "run_example: the tests of $typed failed" >&2
    status=1
fi
exit "$status"
