#!/usr/bin/env bash
# Installs every Debian package asen needs to build, test and benchmark.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  gap libgap-dev gap-transgrp gap-primgrp
  nauty libnauty2-dev
  libboost-graph-dev
  libtorch-dev python3-torch libopenblas0-pthread
  python3-numpy python3-pytest python3-sympy python3-matplotlib
  python3-dev pybind11-dev python3-pybind11
  libcli11-dev nlohmann-json3-dev
  libgtest-dev googletest libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
