#!/usr/bin/env bash
# The main job on the bundled demo model (models/lfm2-kjv: a tiny LFM2, ~6M
# parameters, trained on the King James Bible by scripts/train-demo-model):
# set up, build, show its launch plan, compile it to one self-contained
# artifact (weights and tokenizer embedded), and stream a continuation of a
# text prompt (on the GPU when there is one, else the CPU device).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build=${LFM_BUILD_DIR:-build}
model=models/lfm2-kjv
prompt=${1:-And God said}
mkdir -p "$build/demo"
echo "== lfm-compile $model --emit plan" >&2
"$build"/tools/lfm-compile "$model" --emit plan
echo "== lfm-compile $model -o $build/demo/kjv.lfma --embed-weights" >&2
"$build"/tools/lfm-compile "$model" -o "$build/demo/kjv.lfma" --embed-weights
echo "== lfm-run $build/demo/kjv.lfma --prompt \"$prompt\" (sampling defaults from generation_config.json)" >&2
printf '%s' "$prompt"
"$build"/tools/lfm-run "$build/demo/kjv.lfma" --prompt "$prompt" --max-new-tokens 80 --seed 7
echo "== the same as a chat: echo 'Who made the heaven and the earth?' | lfm-run ... --chat" >&2
echo "Who made the heaven and the earth?" |
  "$build"/tools/lfm-run "$build/demo/kjv.lfma" --chat --max-new-tokens 48 --seed 7
