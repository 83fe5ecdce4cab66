//===- FlashAttentionTensorCoreEmitter.cpp - attention, flash on mma ------===//
//
// The tensor-core form of attention's flash (prefill) kernel; the blocks,
// grid and tile walk are FlashAttentionForms.h's.
//
// For q, K and V all bf16 or all f16 and head_dim a multiple of 16 (else
// the f32 form of FlashAttentionEmitter.cpp: f32 storage, head_dim 20 or
// 24): the same blocks, tile walk and 128 threads, 64-key
// K/V tiles staged bit for bit in the storage type. Warp w owns query rows
// 16 w .. 16 w + 15 and keeps their q rows as mma A fragments in registers
// (bit copies of the storage), computes its 16 x 64 scores with
// mma.m16n8k16 into f32 accumulators, runs the online softmax on the
// accumulator fragments (a row's 4 lanes combine with shuffles), rounds P
// to the storage type in registers -- the scores' C fragments, paired, are
// the A fragments of P V (FlashAttention-2's register reuse) -- and adds
// P V with mma.m16n8k16, reading V's columns from shared memory by index.
// Shared memory: 2 * 64 * (head_dim + 8) * 2 bytes (18432 at head_dim 64,
// 34816 at 128). Rounding P to 16 bits costs accuracy against the cpu
// reference, which keeps P in f32: in FlashAttentionForLongSteps the max
// |emu - cpu| / max(1, |cpu|) is 3.9e-3 with bf16 (the f32 form: up to
// 9.8e-4) and 4.9e-4 with f16 (the f32 form: 2.4e-4).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/EmitterSupport.h"
#include "codegen/cuda/emitters/FlashAttentionForms.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// The tensor-core form, for q, K and V in one 16-bit type (bf16 or f16) and
// head_dim a multiple of 16 (the mma's k step); other launches take the f32
// FMA form above. Same blocks and tile walk, 64-key K/V tiles, warp w owning
// query rows 16 w .. 16 w + 15 throughout.
constexpr int64_t kFlashMmaKeys = 64;

constexpr llvm::StringLiteral kFlashMmaTemplate =
#include "kernels/flash_attention_mma.inc"
    ;

} // namespace

KernelSource emitFlashAttentionTensorCore(const EmitContext &ctx,
                                          const AttentionSpec &spec) {
  std::vector<std::pair<std::string, std::string>> vars =
      flashTemplateVars(ctx, spec);
  // k_s and v_s: kBK rows of head_dim + 8 16-bit elements each.
  const int64_t sharedBytes = 2 * kFlashMmaKeys * (spec.shape.headDim + 8) * 2;
  vars.emplace_back("BK", std::to_string(kFlashMmaKeys));
  vars.emplace_back("SHARED", std::to_string(sharedBytes));
  KernelSource source;
  source.body = fillTemplate(kFlashMmaTemplate, vars);
  source.geometry = flashGeometry(spec);
  source.dynamicSharedBytes = sharedBytes;
  return source;
}

} // namespace mlir::lfm::cuda
