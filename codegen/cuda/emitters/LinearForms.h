//===- LinearForms.h - What the kernel forms of linear share ----*- C++ -*-===//
//
// linear [x(rows,K), W(N,K), (norm_w), (residual)] -> [y(rows,N')] has three
// kernel forms, one file each:
//   - LinearEmitter.cpp: the weight-streaming GEMV form (decode, short
//     chunks), the launch's default kernel;
//   - LinearTiledEmitter.cpp: emitLinearLargeRows, the 64 x 64 tiled GEMM
//     for long prefill chunks, with f32 FMA for f32 weights;
//   - LinearTensorCoreEmitter.cpp: the same tiles on the tensor cores
//     (mma.m16n8k16) for bf16 and f16 weights.
// All three read the launch through parseLinear and fuse the same norm
// prologue and residual / SwiGLU epilogues.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_CUDA_EMITTERS_LINEARFORMS_H
#define LFM_CODEGEN_CUDA_EMITTERS_LINEARFORMS_H

#include "codegen/cuda/EmitterSupport.h"
#include "codegen/cuda/KernelEmitter.h"
#include "codegen/cuda/emitters/QuantWeight.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::lfm::cuda {

enum Epilogue : int64_t { kNone = 0, kResidual = 1, kSwiGlu = 2 };

// The output tile of both tiled forms.
constexpr int64_t kTileRows = 64;
constexpr int64_t kTileCols = 64;

// The validated operands of a linear launch, shared by every kernel form.
struct LinearSpec {
  int64_t k = 0, nOut = 0, gates = 1, prologueNorm = 0, epilogue = kNone;
  double eps = 0.0;
  ::lfm::RowSpace rows = ::lfm::RowSpace::kTokens;
  ::lfm::DType wDType = ::lfm::DType::kF32;
  ::lfm::DType xDType = ::lfm::DType::kF32;
  // A block-quantized W: bound as bytes and dequantized where it is loaded.
  std::optional<QuantWeight> quant;
  std::string bind;  // the buffer bindings (x, w, norm_w, residual, y)
  std::string what;  // the formula, for the kernel's comment
};

llvm::Expected<LinearSpec> parseLinear(const EmitContext &ctx);

/// The template variables every form fills: ENTRY, K, NOUT, GATES, ROWS,
/// WTYPE, BIND, EPS, WHAT, and WROW_STRIDE (what a weight row pointer steps
/// by: kK elements, or a quantized row's bytes).
std::vector<std::pair<std::string, std::string>>
commonLinearVars(const EmitContext &ctx, const LinearSpec &spec);

/// commonLinearVars plus the tiled forms' BM, BN, BK (= `tileK`), THREADS
/// and TILE_CONSTANTS (the kernel's kK, kOut, kGates, kBM, kBN and kBK).
std::vector<std::pair<std::string, std::string>>
tiledLinearVars(const EmitContext &ctx, const LinearSpec &spec, int64_t tileK,
                int32_t threads);

/// The tiled forms' rms_norm prologue: per-row 1/rms of the tile's rows into
/// shared memory (needs ${EPS}).
extern const llvm::StringLiteral kTileNormSetup;

/// The tiled forms' epilogue; `at` indexes one accumulator of a gate
/// ("[i][j]"), `indent` is the enclosing loop's.
std::string tileEpilogueText(int64_t epilogue, llvm::StringRef at = "[i][j]",
                             llvm::StringRef indent = "      ");

/// A tiled form's launch shape: one block of `threads` per 64 x 64 tile.
::lfm::LaunchGeometry tiledGeometry(const LinearSpec &spec, int32_t threads);

/// The tensor-core form (bf16 and f16 weights) of emitLinearLargeRows.
KernelSource emitLinearTensorCore(const EmitContext &ctx,
                                  const LinearSpec &spec);

} // namespace mlir::lfm::cuda

#endif // LFM_CODEGEN_CUDA_EMITTERS_LINEARFORMS_H
