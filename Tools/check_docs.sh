#!/usr/bin/env bash
# Builds the DocC documentation of KerasRuntime (its articles and every public symbol) with
# swift-docc-plugin, treating every warning (a broken symbol link, a missing article) as an error.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package generate-documentation --target KerasRuntime --warnings-as-errors
