#!/usr/bin/env bash
# Quantized weights end to end on the emu device (the generated CUDA kernels
# that dequantize, compiled for the host), against the cpu device's
# reference kernels on the same artifact (LFM_CPU_KERNELS=reference: the
# dequantize-then-f32 reference), f32 compute, max |diff| <= 1e-3 and the
# same argmax on every row:
# 1. a golden case with --quantize q8_0 and q4_0 (the embedding and tied
#    lm_head q8_0): whole-prompt prefill, --prefill-chunk 1 (the GEMV forms)
#    and a batch of prompt copies with >= 64 rows in one step (the tiled
#    GEMM forms, the lm_head's too);
# 2. the demo model (hidden 256) with --quantize q4_k: q4_k linears and a
#    q6_k embedding and tied lm_head, prefill and the wide batch.
# (The full set of formats and forms against the reference, with odd shapes,
# is emu_kernels_test's Quantized* cases; this checks the compiler's plans.)
set -euo pipefail
build=$1 data=$2
compile=$build/tools/lfm-compile run=$build/tools/lfm-run
export LFM_CACHE_DIR=${LFM_CACHE_DIR:-$build/emu-cache}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/golden_lib.bash"
start=$SECONDS

# both LABEL ARTIFACT [lfm-run args]: the logits on the emu and on the cpu
# device's reference kernels, compared.
both() {
  local label=$1 artifact=$2; shift 2
  device=cpu
  if ! LFM_CPU_KERNELS=reference run_logits "$artifact" "$tmp/cpu.f32" "$@"; then
    fail "$label" "lfm-run --device cpu failed"; return 0
  fi
  device=emu
  if ! run_logits "$artifact" "$tmp/emu.f32" "$@"; then
    fail "$label" "lfm-run --device emu failed"; return 0
  fi
  check "$label" "$tmp/emu.f32" "$tmp/cpu.f32" "$vocab" 1e-3
}

# wide N TOKENS: copies of the prompt in one batch, >= 64 rows in one step.
wide() {
  local n=$1 copies=$(((64 + $1 - 1) / $1)) out=$2 i
  for ((i = 1; i < copies; ++i)); do out="$out;$2"; done
  echo "$out"
}

read_case "$data/golden/case1_gqa_12tok/"
for format in q8_0 q4_0; do
  "$compile" "$case" -o "$tmp/$name.$format.lfma" --dtype f32 --quantize "$format"
  both "$name $format prefill" "$tmp/$name.$format.lfma" --prompt-ids "$tokens"
  both "$name $format chunk=1" "$tmp/$name.$format.lfma" --prompt-ids "$tokens" \
    --prefill-chunk 1
  both "$name $format wide batch" "$tmp/$name.$format.lfma" --prompt-ids "$(wide "$n" "$tokens")"
done

case=$data/../../models/lfm2-kjv name=lfm2-kjv vocab=4096
tokens=1,510,2011,312,1587,3046,270,1422,291,263,790,17
n=12
"$compile" "$case" -o "$tmp/kjv.q4_k.lfma" --dtype f32 --quantize q4_k
"$compile" "$case" --emit plan --dtype f32 --quantize q4_k > "$tmp/plan.txt"
for format in q4_k q6_k; do
  grep -q "x$format>" "$tmp/plan.txt" || fail "$name plan" "--emit plan shows no $format weight"
done
both "$name q4_k prefill" "$tmp/kjv.q4_k.lfma" --prompt-ids "$tokens"
both "$name q4_k wide batch" "$tmp/kjv.q4_k.lfma" --prompt-ids "$(wide "$n" "$tokens")"
echo "($((SECONDS - start)) s)"
finish
