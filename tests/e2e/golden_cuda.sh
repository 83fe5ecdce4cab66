#!/usr/bin/env bash
# Golden end-to-end tests on the cuda device: every case in tests/data/golden
# through lfm-run --device cuda against the logits of an independent
# implementation, with golden_cpu.sh's bounds: f32 max |diff| <= 1e-3 and the
# same argmax on every row (whole prefill, --prefill-chunk 1 (decode, CUDA
# graphs), chunk 5, two sequences batched); bf16 <= 0.75 with at most 3
# argmax changes (the emu's bound: the GPU sums in yet another order), for
# the prompt and for a wide batch of its copies (>= 64 rows in one step: the
# large-rows linear kernels on the tensor cores; on the emu that batch gave
# 0.41-0.67 with 0-2 changes).
#
#   golden_cuda.sh BUILD DATA [ARTIFACTS]
# BUILD holds tools/lfm-run (or lfm-run itself, as in scripts/gpu-check's
# kit). ARTIFACTS holds CASE.f32.lfma and CASE.bf16.lfma compiled with CUDA
# kernels; without it they are compiled here with BUILD/tools/lfm-compile.
# Without a usable GPU it prints SKIPPED with the reason and passes.
set -euo pipefail
build=$1 data=$2 artifacts=${3:-}
run=$build/tools/lfm-run
[[ -x $run ]] || run=$build/lfm-run
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [[ -z $artifacts ]]; then
  artifacts=$tmp/artifacts; mkdir -p "$artifacts"
  for case in "$data"/golden/*/; do
    name=$(basename "$case")
    for dtype in f32 bf16; do
      "$build/tools/lfm-compile" "$case" -o "$artifacts/$name.$dtype.lfma" --dtype "$dtype"
    done
  done
fi
first=$(ls "$artifacts"/*.f32.lfma | head -1)
if ! probe=$("$run" "$first" --device cuda --random-weights 0 --max-new-tokens 0 \
    --prompt-ids 1 2>&1 >/dev/null); then
  if grep -q "CUDA device not available" <<< "$probe"; then
    echo "SKIPPED: golden tests on the cuda device: ${probe#lfm-run: error: }"
    exit 0
  fi
  echo "FAIL: lfm-run --device cuda: $probe"; exit 1
fi
device=cuda
source "$(dirname "$0")/golden_lib.bash"
for dir in "$data"/golden/*/; do
  read_case "$dir"
  check_modes "$artifacts/$name.f32.lfma" cuda
  check_16bit "$artifacts/$name.bf16.lfma" "cuda bf16" 0.75 3 wide
done
finish
