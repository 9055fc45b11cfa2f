#!/usr/bin/env bash
# Installs every dependency (Debian packages), builds asen and runs the main
# job: the report on the built-in suite of groups.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
./build/bin/asen report "$@"
