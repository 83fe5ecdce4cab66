#!/usr/bin/env bash
# lfm-perplexity on the demo model's held-out chapters (tests/data/demo/
# held_out.txt, written by scripts/text/kjv_chapters.py --held-out): the f32
# perplexity is the one the trainer measured with PyTorch
# (models/lfm2-kjv/train_report.json, same windows of 256); a model against
# itself has KL 0 and agrees on every top token; q4_0 weights against the
# bf16 ones have a small, non-zero KL; bad input exits 1 with a message.
set -euo pipefail
build=$1 data=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
model=$root/models/lfm2-kjv
text=$data/demo/held_out.txt
compile=$build/tools/lfm-compile ppl=${LFM_RUNTIME_TOOLS:-$build/tools}/lfm-perplexity
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
pass() { passes=$((passes + 1)); echo "PASS $1"; }
fail() { fails=$((fails + 1)); echo "FAIL $1: $2"; }
# check NAME JSON_FILE PYTHON_EXPR: the expression over the result `r` holds.
check() {
  local out
  if out=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
print(json.dumps({k: r[k] for k in r if k in ("perplexity", "kl", "same_top", "tokens")}))
sys.exit(0 if ok else 1)' "$2" "$3" 2>&1); then
    pass "$1: $out"
  else
    fail "$1" "$3 does not hold: $out"
  fi
}

"$compile" "$model" -o "$tmp/f32.lfma" --dtype f32 2>/dev/null
"$compile" "$model" -o "$tmp/q4_0.lfma" --dtype f32 --quantize q4_0 2>/dev/null
run() { "$ppl" "$@" --weights "$model" --text "$text" --ctx 256 --threads 2 --json 2>"$tmp/err"; }

# The trainer's held-out loss (transformers, bf16 weights in f32), to its 4 digits.
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["held_out_loss"])' \
  "$model/train_report.json")
run "$tmp/f32.lfma" >"$tmp/f32.json"
check "f32 perplexity is the trainer's (loss $want)" "$tmp/f32.json" \
  "r['tokens'] == 26720 and abs(r['mean_nll'] - $want) < 6e-5"

run "$tmp/f32.lfma" --reference "$tmp/f32.lfma" --chunks 8 >"$tmp/self.json"
check "against itself: KL 0, every top token the same" "$tmp/self.json" \
  "r['kl']['max'] == 0 and r['same_top'] == 1 and r['ln_ppl_ratio'] == 0 and r['tokens'] == 8 * 256"

run "$tmp/q4_0.lfma" --reference "$tmp/f32.lfma" --chunks 8 >"$tmp/q4.json"
check "q4_0 against bf16: small non-zero KL" "$tmp/q4.json" \
  "1e-4 < r['kl']['mean'] < 0.05 and r['same_top'] > 0.9 and abs(r['ln_ppl_ratio']) < 0.05"

# llama-perplexity's windows: the second half of each scored.
run "$tmp/f32.lfma" --skip 128 --chunks 4 >"$tmp/half.json"
check "--skip 128 scores half of each window" "$tmp/half.json" "r['tokens'] == 4 * 128"

# Bad input: exit 1 and a message naming the problem.
expect_error() {  # name, message part, arguments
  local name=$1 want=$2; shift 2
  if "$ppl" "$@" >"$tmp/out" 2>"$tmp/err"; then
    fail "$name" "exit 0"
  elif grep -qF -- "$want" "$tmp/err"; then
    pass "$name"
  else
    fail "$name" "stderr lacks [$want]: $(head -c 300 "$tmp/err")"
  fi
}
expect_error "no input" "give one of --text and --ids" "$tmp/f32.lfma" --weights "$model"
expect_error "--skip past the window" "leaves nothing" "$tmp/f32.lfma" --weights "$model" \
  --text "$text" --ctx 64 --skip 64
printf '1 5 99999\n' >"$tmp/ids.txt"
expect_error "id outside the vocabulary" "id 99999 is outside the vocabulary" "$tmp/f32.lfma" \
  --weights "$model" --ids "$tmp/ids.txt"
printf '1 five\n' >"$tmp/bad.txt"
expect_error "not an id" "'five' is not a token id" "$tmp/f32.lfma" --weights "$model" --ids "$tmp/bad.txt"
expect_error "missing text file" "$tmp/none.txt" "$tmp/f32.lfma" --weights "$model" --text "$tmp/none.txt"

echo "perplexity: $passes passed, $fails failed"
[[ $fails -eq 0 ]]
