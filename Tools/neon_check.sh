#!/bin/sh
# The NEON path of CKernels' packed GEMM, fused LSTM step and Winograd transforms, checked on an x86-64 machine: builds Tools/neon/kernel_check.c
# with Sources/CKernels for x86-64 (natively) and for arm64 (Debian's crossbuild-essential-arm64),
# runs the arm64 build under qemu-user, and checks that both match the fmaf reference bit for bit on
# every fused path and print the same result bits.
#
# Setup (Debian/Ubuntu): apt-get update && apt-get install -y crossbuild-essential-arm64 qemu-user
# Usage: Tools/neon_check.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sources="$root/Tools/neon/kernel_check.c $root/Sources/CKernels/PackedGEMM.c $root/Sources/CKernels/LSTMStep.c $root/Sources/CKernels/Winograd.c"
for tool in cc aarch64-linux-gnu-gcc qemu-aarch64; do
    command -v "$tool" >/dev/null || { echo "neon_check: $tool not found (see the setup line in $0)" >&2; exit 2; }
done
# GCC fuses multiplies and adds by default (-ffp-contract=fast); clang, which builds the package,
# does not across statements. The activations must not be fused: off, as in the package's build.
cc -O2 -Wall -Wextra -Werror -ffp-contract=off -I"$root/Sources/CKernels/include" $sources -lm -o "$out/check-host"
aarch64-linux-gnu-gcc -O2 -Wall -Wextra -Werror -ffp-contract=off -I"$root/Sources/CKernels/include" $sources -lm -o "$out/check-arm64"
"$out/check-host" > "$out/host.txt" 2> "$out/host.log" || { cat "$out/host.log"; exit 1; }
echo "host ($(uname -m)): $(cat "$out/host.log" | tr '\n' ';')"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/check-arm64" > "$out/arm64.txt" 2> "$out/arm64.log" || { cat "$out/arm64.log"; exit 1; }
echo "arm64 (qemu-aarch64): $(cat "$out/arm64.log" | tr '\n' ';')"
if diff "$out/host.txt" "$out/arm64.txt" > "$out/diff.txt"; then
    echo "neon_check: $(wc -l < "$out/host.txt") products, LSTM steps and Winograd convolutions, the same result bits on arm64 (NEON) and on this machine"
else
    cat "$out/diff.txt"
    echo "neon_check: arm64 and host results differ" >&2
    exit 1
fi
