#!/usr/bin/env bash
# Golden end-to-end tests on the emu device: the artifact's generated CUDA
# kernels, compiled for the host and run one fiber per CUDA thread, against
# the logits of an independent implementation (tests/data/golden), as
# golden_cpu.sh checks the cpu device: whole-prompt prefill, --prefill-chunk 1
# (the decode kernels), an odd chunk size, and two sequences in one batch.
# f32: max |diff| <= 1e-3 and the same argmax per row, as on the cpu device.
# (Seen: max |diff| 1.7e-5 to 3.9e-5.) bf16 storage (weights, activations and
# state rounded, f32 accumulation) is checked with the cpu device's bf16
# bound, max |diff| <= 0.75 (seen 0.53-0.62 on logits up to ~27), and at most
# 3 argmax changes per case (seen 0, 0 and 2 on the 12, 24 and 48 rows; the
# top two logits of those rows are closer than bf16 rounding).
# Compiled kernels are cached under the build folder (emu-cache), so only the
# first run pays for the host compiler.
set -euo pipefail
build=$1 data=$2
here=$(cd "$(dirname "$0")" && pwd)
compile=$build/tools/lfm-compile run=$build/tools/lfm-run
export LFM_CACHE_DIR=${LFM_CACHE_DIR:-$build/emu-cache}
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
start=$SECONDS
for case in "$data"/golden/*/; do
  name=$(basename "$case")
  read -r vocab tokens n < <(python3 -c '
import json,sys; t=json.load(open(sys.argv[1]))
print(t["n_vocab"], ",".join(map(str,t["tokens"])), len(t["tokens"]))' "$case/tokens.json")
  half=$(echo "$tokens" | cut -d, -f1-$((n / 2)))
  run_case() {  # artifact, out-file, extra lfm-run args...
    local artifact=$1 out=$2; shift 2
    "$run" "$artifact" --device emu --max-new-tokens 0 --all-logits \
      --dump-logits "$out" --weights "$case" "$@" > /dev/null 2>"$tmp/stderr" \
      || { cat "$tmp/stderr"; return 1; }
  }
  "$compile" "$case" -o "$tmp/$name.lfma" --dtype f32
  run_case "$tmp/$name.lfma" "$tmp/p.f32" --prompt-ids "$tokens"
  check "$name emu prefill" "$tmp/p.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
  run_case "$tmp/$name.lfma" "$tmp/d.f32" --prompt-ids "$tokens" --prefill-chunk 1
  check "$name emu chunk=1" "$tmp/d.f32" "$case/logits_decode.f32" "$vocab" 1e-3
  run_case "$tmp/$name.lfma" "$tmp/c.f32" --prompt-ids "$tokens" --prefill-chunk 5
  check "$name emu chunk=5" "$tmp/c.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
  run_case "$tmp/$name.lfma" "$tmp/b.f32" --prompt-ids "$tokens;$half" --prefill-chunk 3
  check "$name emu batch seq0" "$tmp/b.f32" "$case/logits_prefill.f32" "$vocab" 1e-3 --got-rows 0:$n
  check "$name emu batch seq1" "$tmp/b.f32" "$case/logits_prefill.f32" "$vocab" 1e-3 \
    --got-rows $n:$((n + n / 2)) --want-rows 0:$((n / 2))
  "$compile" "$case" -o "$tmp/$name.bf16.lfma" --dtype bf16
  run_case "$tmp/$name.bf16.lfma" "$tmp/h.f32" --prompt-ids "$tokens"
  check "$name emu bf16" "$tmp/h.f32" "$case/logits_prefill.f32" "$vocab" 0.75 \
    --argmax-mismatches-allowed 3
done
echo "$passes passed, $fails failed ($((SECONDS - start)) s)"
[[ $fails -eq 0 ]]
