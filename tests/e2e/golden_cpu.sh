#!/usr/bin/env bash
# Golden end-to-end tests on the CPU device: every case in tests/data/golden
# through lfm-compile + lfm-run, against logits from an independent
# implementation: whole-prompt prefill, --prefill-chunk 1 (the decode path)
# and an odd chunk size, two sequences in one batch, and an artifact with
# embedded weights. f32 tolerance: max |diff| <= 1e-3, same argmax per row.
# The unfused pipeline (--no-fusion) must give the fused logits within 1e-5.
# The 16-bit storage paths (weights, activations and state rounded, f32
# accumulation) meet looser bounds, measured on these cases: bf16 max |diff|
# <= 0.75 (seen 0.53-0.62 on logits up to ~27) with at most 2 argmax changes
# per case (seen 0-1); f16 <= 0.15 (seen 0.05-0.09) with at most 1 (seen 0).
# LFM_RUNTIME_TOOLS: the folder of the runtime tools to test (lfm-run,
# lfm-serve, lfm-tokenize), e.g. the sanitizer build's; default $build/tools.
set -euo pipefail
build=$1 data=$2
compile=$build/tools/lfm-compile run=${LFM_RUNTIME_TOOLS:-$build/tools}/lfm-run device=cpu
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/golden_lib.bash"
for dir in "$data"/golden/*/; do
  read_case "$dir"
  "$compile" "$case" -o "$tmp/$name.lfma" --dtype f32
  check_modes "$tmp/$name.lfma" cpu
  "$compile" "$case" -o "$tmp/$name.unfused.lfma" --dtype f32 --no-fusion
  for chunk in 0 1; do
    args=(--prompt-ids "$tokens")
    [[ $chunk -gt 0 ]] && args+=(--prefill-chunk "$chunk")
    run_logits "$tmp/$name.unfused.lfma" "$tmp/u.f32" "${args[@]}"
    run_logits "$tmp/$name.lfma" "$tmp/f.f32" "${args[@]}"
    check "$name unfused=fused chunk=$chunk" "$tmp/u.f32" "$tmp/f.f32" "$vocab" 1e-5
  done
  for spec in "bf16 0.75 2" "f16 0.15 1"; do
    read -r dtype tol flips <<< "$spec"
    "$compile" "$case" -o "$tmp/$name.$dtype.lfma" --dtype "$dtype"
    check_16bit "$tmp/$name.$dtype.lfma" "cpu $dtype" "$tol" "$flips"
  done
  "$compile" "$case" -o "$tmp/$name.embedded.lfma" --dtype f32 --embed-weights
  "$run" "$tmp/$name.embedded.lfma" --device cpu --max-new-tokens 0 --all-logits \
    --dump-logits "$tmp/e.f32" --prompt-ids "$tokens" > /dev/null
  check "$name embedded" "$tmp/e.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
done
finish
