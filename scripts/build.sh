#!/usr/bin/env bash
# Configures and builds asen in ./build (Release). Extra arguments go to cmake's
# configure step. Used by setup-and-run.sh and setup-and-test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${ASEN_JOBS:-$(nproc)}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j"$jobs"
