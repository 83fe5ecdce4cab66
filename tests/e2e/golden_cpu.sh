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
set -euo pipefail
build=$1 data=$2
here=$(cd "$(dirname "$0")" && pwd)
compile=$build/tools/lfm-compile run=$build/tools/lfm-run
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
check() {  # name, then compare_logits.py arguments
  local name=$1; shift
  if out=$(python3 "$here/compare_logits.py" "$@" 2>&1); then
    passes=$((passes + 1)); echo "PASS $name: $out"
  else
    fails=$((fails + 1)); echo "FAIL $name: $out"
  fi
}
for case in "$data"/golden/*/; do
  name=$(basename "$case")
  read -r vocab tokens n < <(python3 -c '
import json,sys; t=json.load(open(sys.argv[1]))
print(t["n_vocab"], ",".join(map(str,t["tokens"])), len(t["tokens"]))' "$case/tokens.json")
  half=$(echo "$tokens" | cut -d, -f1-$((n / 2)))
  "$compile" "$case" -o "$tmp/$name.lfma" --dtype f32
  run_case() {  # out-file, extra lfm-run args...
    local out=$1; shift
    "$run" "$tmp/$name.lfma" --device cpu --max-new-tokens 0 --all-logits \
      --dump-logits "$out" "$@" > /dev/null 2>"$tmp/stderr" || { cat "$tmp/stderr"; return 1; }
  }
  run_case "$tmp/p.f32" --weights "$case" --prompt-ids "$tokens"
  check "$name prefill" "$tmp/p.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
  run_case "$tmp/d.f32" --weights "$case" --prompt-ids "$tokens" --prefill-chunk 1
  check "$name chunk=1" "$tmp/d.f32" "$case/logits_decode.f32" "$vocab" 1e-3
  run_case "$tmp/c.f32" --weights "$case" --prompt-ids "$tokens" --prefill-chunk 5
  check "$name chunk=5" "$tmp/c.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
  run_case "$tmp/b.f32" --weights "$case" --prompt-ids "$tokens;$half" --prefill-chunk 3
  check "$name batch seq0" "$tmp/b.f32" "$case/logits_prefill.f32" "$vocab" 1e-3 --got-rows 0:$n
  check "$name batch seq1" "$tmp/b.f32" "$case/logits_prefill.f32" "$vocab" 1e-3 \
    --got-rows $n:$((n + n / 2)) --want-rows 0:$((n / 2))
  "$compile" "$case" -o "$tmp/$name.unfused.lfma" --dtype f32 --no-fusion
  for chunk in 0 1; do
    args=(--weights "$case" --prompt-ids "$tokens")
    [[ $chunk -gt 0 ]] && args+=(--prefill-chunk "$chunk")
    "$run" "$tmp/$name.unfused.lfma" --device cpu --max-new-tokens 0 --all-logits \
      --dump-logits "$tmp/u.f32" "${args[@]}" > /dev/null
    run_case "$tmp/f.f32" "${args[@]}"
    check "$name unfused=fused chunk=$chunk" "$tmp/u.f32" "$tmp/f.f32" "$vocab" 1e-5
  done
  for spec in "bf16 0.75 2" "f16 0.15 1"; do
    read -r dtype tol flips <<< "$spec"
    "$compile" "$case" -o "$tmp/$name.$dtype.lfma" --dtype "$dtype"
    "$run" "$tmp/$name.$dtype.lfma" --device cpu --max-new-tokens 0 --all-logits \
      --dump-logits "$tmp/h.f32" --weights "$case" --prompt-ids "$tokens" > /dev/null
    check "$name $dtype" "$tmp/h.f32" "$case/logits_prefill.f32" "$vocab" "$tol" \
      --argmax-mismatches-allowed "$flips"
  done
  "$compile" "$case" -o "$tmp/$name.embedded.lfma" --dtype f32 --embed-weights
  "$run" "$tmp/$name.embedded.lfma" --device cpu --max-new-tokens 0 --all-logits \
    --dump-logits "$tmp/e.f32" --prompt-ids "$tokens" > /dev/null
  check "$name embedded" "$tmp/e.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
done
echo "$passes passed, $fails failed"
[[ $fails -eq 0 ]]
