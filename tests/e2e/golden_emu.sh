#!/usr/bin/env bash
# Golden end-to-end tests on the emu device: the artifact's generated CUDA
# kernels, compiled for the host and run one fiber per CUDA thread, against
# the logits of an independent implementation (tests/data/golden), as
# golden_cpu.sh checks the cpu device: whole-prompt prefill, --prefill-chunk 1
# (the decode kernels), an odd chunk size, two sequences in one batch, and a
# batch of prompt copies with >= 64 rows in one step (the linear launches'
# tiled GEMM variants).
# f32: max |diff| <= 1e-3 and the same argmax per row, as on the cpu device.
# (Seen: max |diff| 1.7e-5 to 3.9e-5.) bf16 storage (weights, activations and
# state rounded, f32 accumulation) is checked with the cpu device's bf16
# bound, max |diff| <= 0.75 (seen 0.53-0.62 on logits up to ~27), and at most
# 3 argmax changes per case (seen 0, 0 and 2 on the 12, 24 and 48 rows; the
# top two logits of those rows are closer than bf16 rounding). f16 storage:
# the cpu device's f16 bound, <= 0.15 with at most 1 argmax change (seen
# 0.048-0.089, none). Both 16-bit artifacts also run the wide batch, whose
# large-rows linear kernels are the tensor-core form (seen bf16 0.41-0.67
# with 0, 0 and 2 argmax changes; f16 0.041-0.090, none).
# Compiled kernels are cached under the build folder (emu-cache), so only the
# first run pays for the host compiler.
set -euo pipefail
build=$1 data=$2
compile=$build/tools/lfm-compile run=$build/tools/lfm-run device=emu
export LFM_CACHE_DIR=${LFM_CACHE_DIR:-$build/emu-cache}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/golden_lib.bash"
start=$SECONDS
for dir in "$data"/golden/*/; do
  read_case "$dir"
  "$compile" "$case" -o "$tmp/$name.lfma" --dtype f32
  check_modes "$tmp/$name.lfma" emu
  "$compile" "$case" -o "$tmp/$name.bf16.lfma" --dtype bf16
  check_16bit "$tmp/$name.bf16.lfma" "emu bf16" 0.75 3 wide
  "$compile" "$case" -o "$tmp/$name.f16.lfma" --dtype f16
  check_16bit "$tmp/$name.f16.lfma" "emu f16" 0.15 1 wide
done
echo "($((SECONDS - start)) s)"
finish
