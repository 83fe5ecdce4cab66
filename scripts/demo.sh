#!/usr/bin/env bash
# The main job on a bundled tiny LFM2 checkpoint (tests/data/golden/
# case1_gqa_12tok: 6 layers, random weights from the golden suite): set up,
# build, show its launch plan, compile it to an artifact, and generate with it
# (on the GPU when there is one, else the CPU device).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build=${LFM_BUILD_DIR:-build}
model=tests/data/golden/case1_gqa_12tok
mkdir -p "$build/demo"
echo "== lfm-compile $model --emit plan" >&2
"$build"/tools/lfm-compile "$model" --emit plan
echo "== lfm-compile $model -o $build/demo/case1.lfma" >&2
"$build"/tools/lfm-compile "$model" -o "$build/demo/case1.lfma"
echo "== lfm-run (two sequences in one batch, 16 new tokens each)" >&2
"$build"/tools/lfm-run "$build/demo/case1.lfma" --weights "$model" \
  --prompt-ids "42,41,255,159,188;7,8,9" --max-new-tokens 16 --ignore-eos --json
