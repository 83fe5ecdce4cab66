#!/usr/bin/env bash
# lfm-run and the runtime library link no MLIR or LLVM code, and no runtime
# source includes their headers.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
status=0
if grep -rlE '#include *["<](mlir|llvm)/' "$src/runtime" "$src/tools/lfm-run"; then
  echo "FAIL: runtime sources include MLIR/LLVM headers (above)"; status=1
fi
for bin in "$build/tools/lfm-run" "$build/runtime/liblfm_runtime.a"; do
  n=$(nm -C "$bin" 2>/dev/null | grep -cE ' (mlir|llvm)::' || true)
  if [[ $n -ne 0 ]]; then echo "FAIL: $bin has $n MLIR/LLVM symbols"; status=1
  else echo "ok: $bin has no MLIR/LLVM symbols"; fi
done
if ldd "$build/tools/lfm-run" | grep -iE 'llvm|mlir'; then
  echo "FAIL: lfm-run loads LLVM/MLIR shared libraries"; status=1
fi
exit $status
