#!/usr/bin/env bash
# Sets up, builds and runs every test (GoogleTest, lit/FileCheck, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir "${LFM_BUILD_DIR:-build}" --output-on-failure -j2
