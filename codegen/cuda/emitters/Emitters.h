//===- Emitters.h - The CUDA emitter of every op family ---------*- C++ -*-===//
//
// One function per op family of runtime/include/lfm/Plan.h, each defined in
// its own file of this folder and listed in the table of
// codegen/cuda/EmitterRegistry.cpp (adding a family = one file + one line
// there). Each returns the kernel body (without the prelude) that defines
// `extern "C" __global__ void <ctx.entryPoint>(LfmKernelArgs args)`, its
// launch geometry and dynamic shared memory. Helpers that several emitters
// share (buffer dtypes and widths, row tiling, reductions, the affine
// geometry, literals, the RoPE frequency table) are in
// codegen/cuda/EmitterSupport.h; device helpers in prelude/lfm_device.cuh.
//
// Names derived from the entry point (e.g. a file-scope table
// `<entryPoint>_inv_freq`) are fine: emitKernels emits every launch under a
// placeholder entry point, deduplicates the text, then renames.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_EMITTERS_EMITTERS_H
#define LFM_CODEGEN_CUDA_EMITTERS_EMITTERS_H

#include "codegen/cuda/KernelEmitter.h"

namespace mlir::lfm::cuda {

// The simple families (codegen infrastructure).
llvm::Expected<KernelSource> emitEmbedding(const EmitContext &ctx);      // Embedding.cpp
llvm::Expected<KernelSource> emitRmsNorm(const EmitContext &ctx);        // RmsNorm.cpp
llvm::Expected<KernelSource> emitAddRmsNorm(const EmitContext &ctx);     // RmsNorm.cpp
llvm::Expected<KernelSource> emitElementwise(const EmitContext &ctx);    // Elementwise.cpp: add, mul, silu
llvm::Expected<KernelSource> emitSlice(const EmitContext &ctx);          // Slice.cpp
llvm::Expected<KernelSource> emitGatherRows(const EmitContext &ctx);     // GatherRows.cpp
llvm::Expected<KernelSource> emitRope(const EmitContext &ctx);           // Rope.cpp
llvm::Expected<KernelSource> emitKvCacheWrite(const EmitContext &ctx);   // KvCacheWrite.cpp

// The heavy families (the heavy-emitter files; all listed in
// EmitterRegistry.cpp's table, so each must be defined).
llvm::Expected<KernelSource> emitLinear(const EmitContext &ctx);           // Linear*.cpp: GEMV form
llvm::Expected<KernelSource> emitLinearLargeRows(const EmitContext &ctx);  // LinearEmitter.cpp: tiled GEMM form
llvm::Expected<KernelSource> emitShortConv(const EmitContext &ctx);        // ShortConv*.cpp: short_conv
llvm::Expected<KernelSource> emitGatedShortConv(const EmitContext &ctx);   // ShortConv*.cpp: gated_short_conv
llvm::Expected<KernelSource> emitQkNormRopeCache(const EmitContext &ctx);  // QkNormRopeCache*.cpp
llvm::Expected<KernelSource> emitAttention(const EmitContext &ctx);        // SplitKvAttentionEmitter.cpp: split-KV form
llvm::Expected<KernelSource> emitAttentionLargeRows(const EmitContext &ctx);  // FlashAttentionEmitter.cpp: flash form

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_EMITTERS_EMITTERS_H
