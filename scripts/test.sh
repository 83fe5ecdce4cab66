#!/usr/bin/env bash
# Sets up, builds and runs every test (GoogleTest, lit/FileCheck, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${LFM_BUILD_DIR:-build}
scripts/setup.sh
# The runtime alone builds without MLIR/LLVM (what ships to GPU machines).
echo "test: runtime-only build (-DLFM_BUILD_COMPILER=OFF) in $build-runtime" >&2
LFM_BUILD_DIR=$build-runtime scripts/build.sh \
  -DLFM_BUILD_COMPILER=OFF -DLFM_BUILD_TESTS=OFF > /dev/null
echo "test: full build in $build" >&2
scripts/build.sh
ctest --test-dir "$build" --output-on-failure -j2
