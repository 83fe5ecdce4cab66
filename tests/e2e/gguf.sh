#!/usr/bin/env bash
# A GGUF alone is a model to the tools (tests/data/gguf, written by
# scripts/gguf/make_gguf_testdata.py as llama.cpp's converter writes LFM2):
#   - lfm-compile case1_f32.gguf, lfm-run --weights case1_f32.gguf on the cpu
#     device: the golden logits of case1 within the f32 bound (1e-3, same
#     argmax), as from its safetensors;
#   - that artifact with --weights case1_{f16,bf16}.gguf: within the 16-bit
#     bounds of golden_cpu.sh (weights rounded, f32 compute: at most that);
#   - an artifact compiled from the safetensors config with --weights the
#     GGUF gives the logits of --weights the safetensors, bit for bit;
#   - the storage dtype follows the GGUF's tensors (bf16 GGUF: bf16 plan),
#     a q8_0/q4_0 GGUF keeps its blocks (the plan says q8_0/q4_0; logits as
#     those of the f32 model of its blocks dequantized), and --embed-weights packs the GGUF's
#     tensors;
#   - lfm-tokenize kjv_tokenizer.gguf gives the ids of models/lfm2-kjv's
#     tokenizer.json; a GGUF's tokenizer goes into its artifact, and an
#     artifact without one tokenizes --prompt with that of --weights GGUF;
#   - a GGUF of another architecture, a truncated GGUF, and --prompt with a
#     GGUF whose vocabulary lfm does not read (which still runs from
#     --prompt-ids, and compiles with a warning) exit 1 naming the file.
# GGUFs that are not committed are made by gguf_edit.py (no `gguf` package).
set -euo pipefail
build=$1 data=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
compile=$build/tools/lfm-compile run=$build/tools/lfm-run tokenize=$build/tools/lfm-tokenize
device=cpu gguf=$data/gguf
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$here/golden_lib.bash"
read_case "$data/golden/case1_gqa_12tok"

# gguf_logits ARTIFACT WEIGHTS OUT: the logits of every prompt token.
gguf_logits() {
  "$run" "$1" --device cpu --max-new-tokens 0 --all-logits --dump-logits "$3" \
    --weights "$2" --prompt-ids "$tokens" > /dev/null 2>"$tmp/stderr" \
    || { cat "$tmp/stderr"; return 1; }
}
# expect_error NAME WANT CMD...: CMD exits 1 with a message holding WANT.
expect_error() {
  local name=$1 want=$2 rc=0; shift 2
  "$@" > /dev/null 2>"$tmp/err" < /dev/null || rc=$?
  if [[ $rc -eq 1 ]] && grep -qF -- "$want" "$tmp/err"; then
    passes=$((passes + 1)); echo "PASS $name: $(head -c 300 "$tmp/err")"
  else
    fail "$name" "exit $rc, want 1 and a message with '$want': $(cat "$tmp/err")"
  fi
}
expect_eq() {  # name, got, want
  if [[ "$2" == "$3" ]]; then passes=$((passes + 1)); echo "PASS $1"
  else fail "$1" "got [$2], want [$3]"; fi
}

# The GGUF as the whole model: config, weights (and no tokenizer: case1 has none).
"$compile" "$gguf/case1_f32.gguf" -o "$tmp/g.lfma" 2>"$tmp/warn"
expect_eq "compiling case1_f32.gguf warns of nothing" "$(cat "$tmp/warn")" ""
gguf_logits "$tmp/g.lfma" "$gguf/case1_f32.gguf" "$tmp/g.f32"
check "$name gguf f32" "$tmp/g.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
for spec in "bf16 0.75 2" "f16 0.15 1"; do
  read -r dtype tol flips <<< "$spec"
  gguf_logits "$tmp/g.lfma" "$gguf/case1_$dtype.gguf" "$tmp/g.$dtype"
  check "$name f32 artifact, $dtype gguf" "$tmp/g.$dtype" "$case/logits_prefill.f32" "$vocab" \
    "$tol" --argmax-mismatches-allowed "$flips"
done
"$compile" "$gguf/case1_bf16.gguf" --emit plan > "$tmp/bf16.plan"
if head -1 "$tmp/bf16.plan" | grep -q "storage bf16$"; then
  passes=$((passes + 1)); echo "PASS the bf16 GGUF compiles to a bf16 plan"
else fail "bf16 GGUF plan" "$(head -5 "$tmp/bf16.plan")"; fi
# A block-quantized GGUF keeps its tensors' formats without --quantize: the
# plan stores every linear and the embedding as the file has them, and the
# logits are those of the f32 model with the same blocks dequantized
# (lfm-bench --dump-weights writes them; x kept f32 in the dot products,
# LFM_CPU_QUANT_X=f32, so only the order of the sums differs).
for q in q8_0 q4_0; do
  "$compile" "$gguf/case1_$q.gguf" --emit plan > "$tmp/$q.plan"
  expect_eq "the $q GGUF's weights stay $q (embedding and every linear)" \
    "$(grep -cE "embedding reads .*x${q}>|linear .*x${q}>" "$tmp/$q.plan")" \
    "$(grep -cE '^ *[0-9]+ .*(embedding|linear) ' "$tmp/$q.plan")"
  "$compile" "$gguf/case1_$q.gguf" -o "$tmp/$q.lfma"
  LFM_CPU_QUANT_X=f32 gguf_logits "$tmp/$q.lfma" "$gguf/case1_$q.gguf" "$tmp/$q.kept"
  "$build/tools/lfm-bench" "$tmp/$q.lfma" --weights "$gguf/case1_$q.gguf" \
    --dump-weights "$tmp/$q.deq.safetensors" 2>/dev/null
  gguf_logits "$tmp/g.lfma" "$tmp/$q.deq.safetensors" "$tmp/$q.deq"
  check "$name $q GGUF kept = its blocks dequantized, in f32" "$tmp/$q.kept" "$tmp/$q.deq" \
    "$vocab" 1e-4
done
"$compile" "$gguf/case1_f32.gguf" -o "$tmp/embedded.lfma" --embed-weights
"$run" "$tmp/embedded.lfma" --device cpu --max-new-tokens 0 --all-logits \
  --dump-logits "$tmp/e.f32" --prompt-ids "$tokens" > /dev/null 2>"$tmp/stderr"
check "$name gguf embedded" "$tmp/e.f32" "$case/logits_prefill.f32" "$vocab" 1e-3

# The safetensors config's artifact takes the GGUF's weights as its own.
"$compile" "$case" -o "$tmp/st.lfma" --dtype f32
gguf_logits "$tmp/st.lfma" "$case" "$tmp/st.f32"
gguf_logits "$tmp/st.lfma" "$gguf/case1_f32.gguf" "$tmp/stg.f32"
if cmp -s "$tmp/st.f32" "$tmp/stg.f32"; then
  passes=$((passes + 1)); echo "PASS safetensors artifact: --weights GGUF = --weights safetensors"
else fail "safetensors artifact with GGUF weights" "logits differ"; fi

# The GGUF's tokenizer is the HF one.
for text in "And God said, Let there be light: and there was light." \
            "<|im_start|>user
Who begat Enos?<|im_end|>" "  2024 ünïcödé  \t tabs"; do
  want=$(printf %s "$text" | "$tokenize" "$root/models/lfm2-kjv")
  got=$(printf %s "$text" | "$tokenize" "$gguf/kjv_tokenizer.gguf")
  expect_eq "lfm-tokenize kjv_tokenizer.gguf: ${text:0:20}" "$got" "$want"
done
want=$(printf 1,310,400 | "$tokenize" "$root/models/lfm2-kjv" --decode)
expect_eq "lfm-tokenize kjv_tokenizer.gguf --decode" \
  "$(printf 1,310,400 | "$tokenize" "$gguf/kjv_tokenizer.gguf" --decode)" "$want"

# A GGUF with a tokenizer (case1's weights, the demo model's vocabulary:
# prompts whose ids are below case1's 320). lfm-compile carries it; an
# artifact without one takes it from --weights; --prompt is those ids.
python3 "$here/gguf_edit.py" "$gguf/case1_f32.gguf" "$tmp/kjv.gguf" \
  --kv-from "$gguf/kjv_tokenizer.gguf" tokenizer.
"$compile" "$tmp/kjv.gguf" -o "$tmp/kjv.lfma"
want=$(printf "And" | "$tokenize" "$root/models/lfm2-kjv")
expect_eq "the artifact of a GGUF carries its tokenizer" \
  "$(printf "And" | "$tokenize" "$tmp/kjv.lfma")" "$want"
"$compile" "$tmp/kjv.gguf" -o "$tmp/kjv-bare.lfma" --no-tokenizer
generated() {  # lfm-run args: the generated ids of the first sequence
  "$run" "$tmp/kjv-bare.lfma" --device cpu --weights "$tmp/kjv.gguf" --max-new-tokens 4 \
    --temperature 0 --json "$@" 2>"$tmp/stderr" | python3 -c '
import json, sys; print(",".join(map(str, json.load(sys.stdin)["sequences"][0]["generated"])))'
}
expect_eq "--prompt with the tokenizer of --weights GGUF" "$(generated --prompt And)" \
  "$(generated --prompt-ids "$want")"
expect_error "--no-tokenizer artifact, safetensors weights: --prompt" "carries no tokenizer" \
  "$run" "$tmp/kjv-bare.lfma" --device cpu --weights "$case" --prompt And

# Bad input.
python3 "$here/gguf_edit.py" "$gguf/case1_f32.gguf" "$tmp/gpt2.gguf" --arch gpt2
expect_error "compile: another architecture" "$tmp/gpt2.gguf': general.architecture is 'gpt2'" \
  "$compile" "$tmp/gpt2.gguf" -o "$tmp/x.lfma"
expect_error "run: another architecture" "$tmp/gpt2.gguf': general.architecture is 'gpt2'" \
  "$run" "$tmp/g.lfma" --device cpu --weights "$tmp/gpt2.gguf" --prompt-ids 1
head -c 600000 "$gguf/case1_f32.gguf" > "$tmp/truncated.gguf"
expect_error "compile: truncated" "$tmp/truncated.gguf" \
  "$compile" "$tmp/truncated.gguf" -o "$tmp/x.lfma"
expect_error "run: truncated" "$tmp/truncated.gguf" \
  "$run" "$tmp/g.lfma" --device cpu --weights "$tmp/truncated.gguf" --prompt-ids 1
expect_error "run: --prompt, no tokenizer" "carries no tokenizer" \
  "$run" "$tmp/g.lfma" --device cpu --weights "$gguf/case1_f32.gguf" --prompt hi

# An LFM2 GGUF whose vocabulary is SentencePiece: it compiles (a warning,
# no tokenizer carried) and runs from ids; text use says why it cannot.
python3 "$here/gguf_edit.py" "$gguf/case1_f32.gguf" "$tmp/spm.gguf" \
  --kv-from "$gguf/llama_spm_tokenizer.gguf" tokenizer.
"$compile" "$tmp/spm.gguf" -o "$tmp/spm.lfma" 2>"$tmp/warn"
if grep -q "warning: .*spm.gguf': unsupported tokenizer" "$tmp/warn"; then
  passes=$((passes + 1)); echo "PASS compile: unsupported tokenizer warns"
else fail "compile: unsupported tokenizer" "no warning: $(cat "$tmp/warn")"; fi
gguf_logits "$tmp/spm.lfma" "$tmp/spm.gguf" "$tmp/spm.f32"
check "$name spm-tokenizer gguf from ids" "$tmp/spm.f32" "$case/logits_prefill.f32" "$vocab" 1e-3
expect_error "run: --prompt, unsupported tokenizer" "spm.gguf': unsupported tokenizer" \
  "$run" "$tmp/spm.lfma" --device cpu --weights "$tmp/spm.gguf" --prompt hi
expect_error "run: --tokenizer with an unsupported GGUF" "spm.gguf': unsupported tokenizer" \
  "$run" "$tmp/g.lfma" --device cpu --weights "$gguf/case1_f32.gguf" --tokenizer "$tmp/spm.gguf" \
  --prompt hi
expect_error "compile: --tokenizer with an unsupported GGUF" "spm.gguf': unsupported tokenizer" \
  "$compile" "$gguf/case1_f32.gguf" -o "$tmp/x.lfma" --tokenizer "$tmp/spm.gguf"
finish
