//===- FlashAttentionForms.cpp - What the flash forms share --------------===//
//
// The tile walk, template variables, launch shape and form choice that the
// FMA and tensor-core flash-attention forms share (FlashAttentionForms.h).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/FlashAttentionForms.h"

#include "codegen/cuda/EmitterSupport.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// Both forms' walk to the block's (sequence, tile), its rows and keys, and
// its K/V rows in the cache.
constexpr llvm::StringLiteral kFlashTileWalk =
    R"(  // Block (head, b): b counts sequence 0's tiles, then sequence 1's, ...
  // The grid's ceil((T + 63 N) / 64) is at least the sum of ceil(rows / 64)
  // over the sequences; the surplus blocks leave. Within a sequence the
  // last tiles (most keys) come first.
  const int head = blockIdx.x;
  const int kv_head = head / kGroup;
  int tile = blockIdx.y, seq = 0, seq_rows = 0;
  for (; seq < args.num_seqs; ++seq) {
    seq_rows = row_offsets[seq + 1] - row_offsets[seq];
    const int tiles = (seq_rows + kBQ - 1) / kBQ;
    if (tile < tiles) {
      tile = tiles - 1 - tile;
      break;
    }
    tile -= tiles;
  }
  if (seq == args.num_seqs) return;
  const int rows = min(kBQ, seq_rows - tile * kBQ);
  const int tok0 = row_offsets[seq] + tile * kBQ;  // the tile's first token
  const int pos0 = start_pos[seq] + tile * kBQ;  // and its position
  // Row r sees keys 0..pos0 + r; the tile's keys are those of its last row
  // (the runtime rejects a step past the cache; min() only keeps a bad step
  // inside the slot).
  const int key_end = min(pos0 + rows, args.max_seq_len);
  const long long slot_row = lfm_state_row(slots[seq], args.max_seq_len, 0);
  const ${KTYPE} *k_base = key_cache + slot_row * kKvWidth + kv_head * kHeadDim;
  const ${VTYPE} *v_base = value_cache + slot_row * kKvWidth + kv_head * kHeadDim;)";

} // namespace

std::vector<std::pair<std::string, std::string>>
flashTemplateVars(const EmitContext &ctx, const AttentionSpec &spec) {
  std::vector<std::pair<std::string, std::string>> vars =
      attentionTemplateVars(ctx, spec);
  vars.emplace_back("TILE_WALK", fillTemplate(kFlashTileWalk, vars));
  vars.emplace_back("BQ", std::to_string(kFlashRows));
  return vars;
}

LaunchGeometry flashGeometry(const AttentionSpec &spec) {
  // The heads of a kv-head group run side by side in x and share its K/V
  // tiles in L2.
  return affineGeometry(static_cast<int32_t>(kFlashThreads),
                        AffineTerm{0, 0, 0, 0, spec.shape.heads, 1},
                        AffineTerm{1, kFlashRows - 1, 0, 0, 0, kFlashRows});
}

// head_dim 20 or 24, or f32 storage, keep the f32 FMA form.
bool flashUsesTensorCores(const AttentionSpec &spec) {
  const DType dt = spec.q.dtype;
  return (dt == DType::kBF16 || dt == DType::kF16) && spec.keys.dtype == dt &&
         spec.values.dtype == dt && spec.shape.headDim % 16 == 0;
}

} // namespace mlir::lfm::cuda
