#!/usr/bin/env bash
# The main job on a bundled tiny LFM2 model: set up, build, print its IR.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
model=tests/data/golden/case1_gqa_12tok
build=${LFM_BUILD_DIR:-build}
"$build"/tools/lfm-compile "$model" --emit mlir
