#!/usr/bin/env bash
# Golden end-to-end tests on the cuda device: every case in tests/data/golden
# through lfm-run --device cuda against the logits of an independent
# implementation, with golden_cpu.sh's bounds: f32 max |diff| <= 1e-3 and the
# same argmax on every row (whole prefill, --prefill-chunk 1 (decode, CUDA
# graphs), chunk 5, two sequences batched); bf16 <= 0.75 with at most 2
# argmax changes.
#
#   golden_cuda.sh BUILD DATA [ARTIFACTS]
# BUILD holds tools/lfm-run (or lfm-run itself, as in scripts/gpu-check's
# kit). ARTIFACTS holds CASE.f32.lfma and CASE.bf16.lfma compiled with CUDA
# kernels; without it they are compiled here with BUILD/tools/lfm-compile.
# Without a usable GPU it prints SKIPPED with the reason and passes.
set -euo pipefail
build=$1 data=$2 artifacts=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
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
  run_case() {  # artifact, out-file, extra lfm-run args...
    local artifact=$1 out=$2; shift 2
    "$run" "$artifact" --device cuda --max-new-tokens 0 --all-logits --weights "$case" \
      --dump-logits "$out" "$@" > /dev/null 2>"$tmp/stderr" || { cat "$tmp/stderr"; return 1; }
  }
  a=$artifacts/$name.f32.lfma
  if run_case "$a" "$tmp/p.f32" --prompt-ids "$tokens"; then
    check "$name prefill" "$tmp/p.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
  else fails=$((fails + 1)); echo "FAIL $name prefill: lfm-run failed"; fi
  if run_case "$a" "$tmp/d.f32" --prompt-ids "$tokens" --prefill-chunk 1; then
    check "$name chunk=1" "$tmp/d.f32" "$case/logits_decode.f32" "$vocab" 1e-3
  else fails=$((fails + 1)); echo "FAIL $name chunk=1: lfm-run failed"; fi
  if run_case "$a" "$tmp/c.f32" --prompt-ids "$tokens" --prefill-chunk 5; then
    check "$name chunk=5" "$tmp/c.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
  else fails=$((fails + 1)); echo "FAIL $name chunk=5: lfm-run failed"; fi
  if run_case "$a" "$tmp/b.f32" --prompt-ids "$tokens;$half" --prefill-chunk 3; then
    check "$name batch seq0" "$tmp/b.f32" "$case/logits_prefill.f32" "$vocab" 1e-3 --got-rows 0:$n
    check "$name batch seq1" "$tmp/b.f32" "$case/logits_prefill.f32" "$vocab" 1e-3 \
      --got-rows $n:$((n + n / 2)) --want-rows 0:$((n / 2))
  else fails=$((fails + 1)); echo "FAIL $name batch: lfm-run failed"; fi
  if run_case "$artifacts/$name.bf16.lfma" "$tmp/h.f32" --prompt-ids "$tokens"; then
    check "$name bf16" "$tmp/h.f32" "$case/logits_prefill.f32" "$vocab" 0.75 \
      --argmax-mismatches-allowed 2
  else fails=$((fails + 1)); echo "FAIL $name bf16: lfm-run failed"; fi
done
echo "$passes passed, $fails failed"
[[ $fails -eq 0 ]]
