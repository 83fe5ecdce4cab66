//===- KvCacheWrite.cpp - kv_cache_write [k, v, K, V, ...] -> [] ----------===//
//
// Each token's k and v rows go to row `position` of its slot's caches:
// K[slot][pos] = k[t], V[slot][pos] = v[t], with the caches laid out
// [slots][max_seq_len][kv_heads * head_dim] (Plan.h).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/RowCopy.h"

namespace mlir::lfm::cuda {

llvm::Expected<KernelSource> emitKvCacheWrite(const EmitContext &ctx) {
  if (llvm::Error error = expectArity(ctx, 7, 0))
    return std::move(error);
  const auto &ops = ctx.launch.operands;
  BufferDesc k = describeBuffer(ctx.plan, ops[0]);
  BufferDesc v = describeBuffer(ctx.plan, ops[1]);
  BufferDesc keyCache = describeBuffer(ctx.plan, ops[2]);
  BufferDesc valueCache = describeBuffer(ctx.plan, ops[3]);
  if (k.width != keyCache.width || v.width != valueCache.width)
    return emitError(ctx, "k and v must have the caches' width");

  RowCopySpec spec;
  spec.summary = "kv_cache_write: K[slot][pos] = k[t], V[slot][pos] = v[t]";
  spec.bindings =
      bindBuffer("k", k, 0, false) + bindBuffer("v", v, 1, false) +
      bindBuffer("key_cache", keyCache, 2, true) +
      bindBuffer("value_cache", valueCache, 3, true) +
      "  const int *__restrict__ row_offsets = (const int *)args.buf[4];\n"
      "  const int *__restrict__ slots = (const int *)args.buf[5];\n"
      "  const int *__restrict__ start_pos = (const int *)args.buf[6];\n";
  spec.rows = ::lfm::RowSpace::kTokens;
  // The runtime rejects a step that would overflow a cache; the guard keeps
  // a bad position from writing into another slot regardless.
  spec.rowSetup =
      "  const int seq = lfm_seq_of_token(row_offsets, args.num_seqs, row);\n"
      "  const int pos = start_pos[seq] + row - row_offsets[seq];\n"
      "  if (pos < 0 || pos >= args.max_seq_len) return;\n"
      "  const long long src_row = row;\n"
      "  const long long dst_row = lfm_state_row(slots[seq], args.max_seq_len, pos);\n";
  spec.width = k.width;
  spec.parts.push_back({"k", "key_cache", k.width, 0, keyCache.width});
  spec.parts.push_back({"v", "value_cache", v.width, 0, valueCache.width});
  return emitRowCopy(ctx, spec);
}

} // namespace mlir::lfm::cuda
