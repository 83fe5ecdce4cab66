# Shared by golden_{cpu,emu,cuda}.sh (sourced, not run): the golden cases in
# DATA/golden, a PASS/FAIL tally, and the standard battery of prefill modes.
# The caller sets `run` (the lfm-run binary), `device` and `tmp`.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fails=0 passes=0

fail() {  # name, reason
  fails=$((fails + 1)); echo "FAIL $1: $2"
}

check() {  # name, then compare_logits.py arguments
  local name=$1 out; shift
  if out=$(python3 "$here/compare_logits.py" "$@" 2>&1); then
    passes=$((passes + 1)); echo "PASS $name: $out"
  else
    fail "$name" "$out"
  fi
}

# read_case DIR: sets case, name, vocab, tokens (comma list), n and half
# (the first n/2 tokens) for one golden case.
read_case() {
  case=$1 name=$(basename "$1")
  read -r vocab tokens n < <(python3 -c '
import json,sys; t=json.load(open(sys.argv[1]))
print(t["n_vocab"], ",".join(map(str,t["tokens"])), len(t["tokens"]))' "$case/tokens.json")
  half=$(echo "$tokens" | cut -d, -f1-$((n / 2)))
}

# run_logits ARTIFACT OUT [lfm-run args]: the logits of every fed token of the
# current case on $device, no generation.
run_logits() {
  local artifact=$1 out=$2; shift 2
  "$run" "$artifact" --device "$device" --max-new-tokens 0 --all-logits \
    --dump-logits "$out" --weights "$case" "$@" > /dev/null 2>"$tmp/stderr" \
    || { cat "$tmp/stderr"; return 1; }
}

# check_modes ARTIFACT LABEL: whole-prompt prefill, --prefill-chunk 1 (the
# decode path), chunk 5, two sequences in one batch, and a batch of copies
# with >= 64 rows in one step, each against the golden rows within the f32
# bound (1e-3, same argmax on every row).
check_modes() {
  local artifact=$1 label=$2
  if run_logits "$artifact" "$tmp/p.f32" --prompt-ids "$tokens"; then
    check "$name $label prefill" "$tmp/p.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
  else fail "$name $label prefill" "lfm-run failed"; fi
  if run_logits "$artifact" "$tmp/d.f32" --prompt-ids "$tokens" --prefill-chunk 1; then
    check "$name $label chunk=1" "$tmp/d.f32" "$case/logits_decode.f32" "$vocab" 1e-3
  else fail "$name $label chunk=1" "lfm-run failed"; fi
  if run_logits "$artifact" "$tmp/c.f32" --prompt-ids "$tokens" --prefill-chunk 5; then
    check "$name $label chunk=5" "$tmp/c.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
  else fail "$name $label chunk=5" "lfm-run failed"; fi
  if run_logits "$artifact" "$tmp/b.f32" --prompt-ids "$tokens;$half" --prefill-chunk 3; then
    check "$name $label batch seq0" "$tmp/b.f32" "$case/logits_prefill.f32" "$vocab" 1e-3 \
      --got-rows 0:$n
    check "$name $label batch seq1" "$tmp/b.f32" "$case/logits_prefill.f32" "$vocab" 1e-3 \
      --got-rows $n:$((n + n / 2)) --want-rows 0:$((n / 2))
  else fail "$name $label batch" "lfm-run failed"; fi
  # Copies of the prompt in one batch, >= 64 token rows in the prefill step:
  # the large-rows variants of the linear launches (tiled GEMM form) on the
  # GPU devices. (Attention's flash form needs 64 rows of one sequence, longer
  # than the golden prompts: emu_kernels_test checks it against the cpu
  # device, whole models included.) The first and the last copy against the
  # golden rows.
  local copies=$(((64 + n - 1) / n)) wide=$tokens i
  for ((i = 1; i < copies; ++i)); do wide="$wide;$tokens"; done
  if run_logits "$artifact" "$tmp/w.f32" --prompt-ids "$wide"; then
    check "$name $label wide batch x$copies seq0" "$tmp/w.f32" "$case/logits_prefill.f32" \
      "$vocab" 1e-3 --got-rows 0:$n
    check "$name $label wide batch x$copies seq$((copies - 1))" "$tmp/w.f32" \
      "$case/logits_prefill.f32" "$vocab" 1e-3 --got-rows $(((copies - 1) * n)):$((copies * n))
  else fail "$name $label wide batch" "lfm-run failed"; fi
}

# check_16bit ARTIFACT LABEL TOL FLIPS [wide]: the prompt's logits against the
# golden rows within a 16-bit storage bound: max |diff| <= TOL, at most FLIPS
# argmax changes. With "wide", also a batch of prompt copies with >= 64 rows
# in one step (the linear launches' large-rows variants: the tensor-core form
# for 16-bit weights), its first and last copy within the same bound.
check_16bit() {
  local artifact=$1 label=$2 tol=$3 flips=$4 mode=${5:-}
  if run_logits "$artifact" "$tmp/h.f32" --prompt-ids "$tokens"; then
    check "$name $label" "$tmp/h.f32" "$case/logits_prefill.f32" "$vocab" "$tol" \
      --argmax-mismatches-allowed "$flips"
  else fail "$name $label" "lfm-run failed"; fi
  [[ $mode == wide ]] || return 0
  local copies=$(((64 + n - 1) / n)) wide=$tokens i
  for ((i = 1; i < copies; ++i)); do wide="$wide;$tokens"; done
  if run_logits "$artifact" "$tmp/hw.f32" --prompt-ids "$wide"; then
    check "$name $label wide batch x$copies seq0" "$tmp/hw.f32" "$case/logits_prefill.f32" \
      "$vocab" "$tol" --argmax-mismatches-allowed "$flips" --got-rows 0:$n
    check "$name $label wide batch x$copies seq$((copies - 1))" "$tmp/hw.f32" \
      "$case/logits_prefill.f32" "$vocab" "$tol" --argmax-mismatches-allowed "$flips" \
      --got-rows $(((copies - 1) * n)):$((copies * n))
  else fail "$name $label wide batch" "lfm-run failed"; fi
}

finish() {
  echo "$passes passed, $fails failed"
  [[ $fails -eq 0 ]]
}
