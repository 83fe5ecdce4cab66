//===- FlashAttentionForms.h - What the flash forms share ------*- C++ -*-===//
//
// attention's large-rows forms (steps where a sequence brings >= 64 rows,
// i.e. prefill), one file each:
//   - FlashAttentionEmitter.cpp: emitAttentionLargeRows, which picks the
//     form, and the f32 FMA form;
//   - FlashAttentionTensorCoreEmitter.cpp: the tensor-core form for bf16
//     and f16 with head_dim a multiple of 16.
// Both have the same blocks (q head, 64-row query tile of one sequence),
// 128 threads, grid and walk to the block's tile.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_EMITTERS_FLASHATTENTIONFORMS_H
#define LFM_CODEGEN_CUDA_EMITTERS_FLASHATTENTIONFORMS_H

#include "codegen/cuda/KernelEmitter.h"
#include "codegen/cuda/emitters/AttentionSpec.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir::lfm::cuda {

/// Query rows per block (one tile) and threads per block of both forms.
constexpr int64_t kFlashRows = 64;
constexpr int64_t kFlashThreads = 128;

/// attentionTemplateVars plus TILE_WALK (the kernel text that finds the
/// block's sequence, tile, rows, keys and cache rows) and BQ.
std::vector<std::pair<std::string, std::string>>
flashTemplateVars(const EmitContext &ctx, const AttentionSpec &spec);

/// Both forms' launch: x = q heads, y = ceil((T + 63 N) / 64) tiles.
::lfm::LaunchGeometry flashGeometry(const AttentionSpec &spec);

/// Whether the launch takes the tensor-core form: q, K and V in one 16-bit
/// type and head_dim a multiple of the mma's k step (16).
bool flashUsesTensorCores(const AttentionSpec &spec);

/// The tensor-core form, for launches flashUsesTensorCores accepts.
KernelSource emitFlashAttentionTensorCore(const EmitContext &ctx,
                                          const AttentionSpec &spec);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_EMITTERS_FLASHATTENTIONFORMS_H
