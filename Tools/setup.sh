#!/usr/bin/env bash
# Installs what kconv needs to build on Debian/Ubuntu: libhdf5-dev and pkg-config (Swift 6 must be on PATH).
set -euo pipefail
if ! command -v swift >/dev/null; then
    echo "setup: swift is not on PATH; install Swift 6 from swift.org first" >&2
    exit 1
fi
missing=()
pkg-config --exists hdf5 2>/dev/null || missing+=(libhdf5-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
