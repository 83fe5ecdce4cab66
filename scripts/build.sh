#!/usr/bin/env bash
# Configures and builds lfm (Release) in ./build. Extra arguments go to CMake,
# e.g. -DLFM_BUILD_COMPILER=OFF for the runtime alone.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${LFM_BUILD_DIR:-build}
jobs=${LFM_JOBS:-2}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
ninja -C "$build" -j"$jobs"
