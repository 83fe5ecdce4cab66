#!/usr/bin/env bash
# tests/gemm_bench (scripts/gemm-bench's engine) on small shapes: every
# engine the build has agrees with a double reference (the tool exits
# non-zero otherwise), lfm's row 0 has the same bits alone as in steps of 3
# and 37 rows, the table has a figure per shape and row count, and bad
# arguments exit 2 with a message.
set -euo pipefail
build=$1
bench=$build/tests/gemm_bench
out=$("$bench" --threads 2 --rows 3,37 --dtypes f32,bf16 --seconds 0 \
  --shapes a=32x64x2,b=48x96x1)
echo "$out"
for d in f32 bf16; do
  grep -Eq "^$d +lfm [a-z0-9]+: row 0 the same bits alone and in every step: yes$" <<<"$out" ||
    { echo "FAIL: no batch-invariant lfm line for $d"; exit 1; }
  for m in 3 37; do
    for s in "a 32x64" "b 48x96" "all, count-weighted"; do
      grep -Eq "^$d +$m  $s +[0-9]+\.[0-9]" <<<"$out" ||
        { echo "FAIL: no figure for $d rows $m $s"; exit 1; }
    done
  done
done
for bad in "--rows 0" "--shapes x=30x64x1" "--dtypes f16" "--bogus 1" "--rows"; do
  set +e
  err=$("$bench" $bad 2>&1 >/dev/null); rc=$?
  set -e
  [[ $rc -eq 2 && $err == gemm_bench:* ]] || { echo "FAIL: '$bad' gave rc $rc: $err"; exit 1; }
done
echo "ok: gemm_bench"
