#!/usr/bin/env bash
# Installs every dependency (Debian packages), builds asen and runs every test:
# the whole ctest suite (GoogleTest, pytest for /usr/bin/python3, CLI tests, the
# installed-package consumer), then the algebra tests again in a build with
# AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${ASEN_JOBS:-$(nproc)}"
./scripts/install-deps.sh
./scripts/build.sh
(cd build && ctest --output-on-failure -j"$jobs")

# Sanitizer build: the algebra layer and its tests only.
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DASEN_SANITIZE=ON \
  -DASEN_BUILD_NN=OFF -DASEN_BUILD_CLI=OFF -DASEN_BUILD_PYTHON=OFF -DASEN_BUILD_BENCH=OFF
cmake --build build-sanitize -j"$jobs"
# GAP keeps its workspace until exit by design: leak checking is off.
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest -L algebra --output-on-failure -j"$jobs")
