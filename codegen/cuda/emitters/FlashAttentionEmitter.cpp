//===- FlashAttentionEmitter.cpp - attention, flash form ------------------===//
//
// The attention form for steps of many rows (prefill); what it computes is
// in AttentionSpec.h.
//
// Flash form (emitAttentionLargeRows, FlashAttention-2 style; with bf16 or
// f16 and head_dim a multiple of 16 it emits the tensor-core form of
// FlashAttentionTensorCoreEmitter.cpp instead, else this f32 one): the
// large-rows variant that devices run for steps of >= 64 rows
// (EmitterRegistry.cpp), i.e. prefill chunks. Block (q head, tile) owns a
// tile of up to 64 query rows of one sequence (tiles never span sequences)
// and one q head: q heads rather than kv-head groups, so that a chunk gets
// `heads` (not kv_heads) blocks per tile, and shared memory and registers do
// not grow with the group; the group's heads are adjacent in grid x and
// share each K/V tile through L2. The block's 128 threads walk the keys
// [0, last row's position] in 32-key tiles staged in shared memory (wide
// loads, f32) and for each tile
//   - compute the 64 x 32 scores, thread (ty, tx) 4 rows x 4 keys, from
//     the q tile (staged once) and the K tile;
//   - update each row's online softmax (two threads per row, masking keys
//     past the row's position: the diagonal tile), writing probabilities
//     and the rescale factor to shared memory;
//   - rescale and accumulate o += P V, thread (ty, tx) owning the same 4
//     rows and 1/8 of the head dims, in f32 registers.
// Warp w owns rows 16 w .. 16 w + 15 in all three steps, so a warp whose
// rows are past the tile's end or see none of a key tile (above the
// diagonal) skips that tile's math. Then y = o / l, once per row: no
// scratch.
//
// Grid x = heads, y = ceil((T + 63 N) / 64), an upper bound (affine in T and
// N) on the sum over sequences of ceil(rows / 64): each block finds its
// (sequence, tile) by walking row_offsets, and the surplus blocks leave.
// Dynamic shared memory: 4 * ((64 + 2 * 32) * stride + 32 * 68 + 128)
// bytes, stride = head_dim rounded up to 4, plus 4 floats (44032 bytes at
// head_dim 64).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/EmitterSupport.h"
#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/FlashAttentionForms.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// The flash form's tiles: kFlashRows query rows per block, kFlashKeys keys
// per K/V tile, kFlashThreads threads. The kernel's thread mapping is
// written for exactly these (16 x 8 threads own 4 rows x 4 keys each; two
// threads per row keep the softmax statistics), see kFlashTemplate.
constexpr int64_t kFlashKeys = 32;

constexpr llvm::StringLiteral kFlashTemplate =
#include "kernels/flash_attention.inc"
    ;

} // namespace

llvm::Expected<KernelSource> emitAttentionLargeRows(const EmitContext &ctx) {
  llvm::Expected<AttentionSpec> spec = readAttentionSpec(ctx);
  if (!spec)
    return spec.takeError();
  if (flashUsesTensorCores(*spec))
    return emitFlashAttentionTensorCore(ctx, *spec);
  const int64_t d = spec->shape.headDim;
  std::vector<std::pair<std::string, std::string>> vars =
      flashTemplateVars(ctx, *spec);
  // q_s, k_s and v_s rows: head_dim floats rounded up to 16 bytes, plus
  // 16 bytes so that the 8 threads of a row group read 8 different K rows
  // without bank conflicts.
  const int64_t stride = llvm::alignTo(d, 4) + 4;
  // Output chunks: 8 threads share a row, each taking chunks of the widest
  // of 4, 2, 1 contiguous dims that splits the row evenly among them.
  int64_t outVec = 1;
  for (int64_t v : {4, 2})
    if (d % (8 * v) == 0) {
      outVec = v;
      break;
    }
  const int64_t sharedBytes = 4 * (stride * (kFlashRows + 2 * kFlashKeys) +
                                   kFlashKeys * (kFlashRows + 4) + 2 * kFlashRows);
  vars.insert(
      vars.end(),
      {
          {"BK", std::to_string(kFlashKeys)},
          {"STRIDE", std::to_string(stride)},
          {"DOT_VEC", std::to_string(std::min<int64_t>(4, chooseChunk({d})))},
          {"OUT_VEC", std::to_string(outVec)},
          {"OUT_CHUNKS", std::to_string(llvm::divideCeil(d, 8 * outVec))},
          {"SHARED", std::to_string(sharedBytes)},
      });
  KernelSource source;
  source.body = fillTemplate(kFlashTemplate, vars);
  source.geometry = flashGeometry(*spec);
  source.dynamicSharedBytes = sharedBytes;
  return source;
}

} // namespace mlir::lfm::cuda
