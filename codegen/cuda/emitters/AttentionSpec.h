//===- AttentionSpec.h - What both attention forms read ---------*- C++ -*-===//
//
// attention [q(T, h*d), key_cache, value_cache, row_offsets, slots,
// start_pos] -> [y(T, h*d)]: a token at position p attends to rows 0..p of
// its slot's cache; q head j reads kv head j / (h / kvh).
//
// Two kernel forms implement it: the split-KV (flash-decoding) form for
// steps of few rows (SplitKvAttentionEmitter.cpp, emitAttention) and the
// tiled flash-attention form for steps of many (FlashAttentionEmitter.cpp,
// emitAttentionLargeRows). This reads what both take from the launch and
// fills the template variables they share.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_EMITTERS_ATTENTIONSPEC_H
#define LFM_CODEGEN_CUDA_EMITTERS_ATTENTIONSPEC_H

#include "codegen/cuda/EmitterSupport.h"

#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir::lfm::cuda {

/// What both forms read from an attention launch: its head shape, scale,
/// buffers, and the lines that bind them (q, key_cache, value_cache,
/// row_offsets, slots, start_pos, y).
struct AttentionSpec {
  HeadShape shape;
  double scale = 0;
  int64_t group = 0;  // q heads per kv head
  BufferDesc q, keys, values, y;
  std::string bind;
};

/// The attention launch's spec, or an error if its operands are not q, the
/// layer's K and V caches and the step inputs, and its result y.
llvm::Expected<AttentionSpec> readAttentionSpec(const EmitContext &ctx);

/// The kernel-template variables both forms fill alike, for each form to
/// append its own to: ENTRY, HEADS, KV_HEADS, D, VEC (elements per wide load
/// of a head row), SCALE, BIND, KTYPE and VTYPE (the K and V cache element
/// types), and SHAPE_CONSTANTS, the kernel's lines defining kHeads, kKvHeads,
/// kGroup and kHeadDim.
std::vector<std::pair<std::string, std::string>>
attentionTemplateVars(const EmitContext &ctx, const AttentionSpec &spec);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_EMITTERS_ATTENTIONSPEC_H
