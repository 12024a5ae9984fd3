#!/usr/bin/env bash
# Runs the whole test suite through ctest (builds first if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d build ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j "$(nproc)"
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
