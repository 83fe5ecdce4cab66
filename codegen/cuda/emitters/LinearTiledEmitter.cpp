//===- LinearTiledEmitter.cpp - linear: tiled GEMM for long chunks --------===//
//
// emitLinearLargeRows: the kernel that devices run instead of the GEMV form
// when a step has >= Launch::large_rows_threshold rows (EmitterRegistry.cpp
// sets it): a shared-memory tiled GEMM of 64 x 64 output tiles, so each
// weight element is read once per 64 rows instead of once per 8. bf16 and
// f16 weights go to the tensor-core form (LinearTensorCoreEmitter.cpp); f32
// weights keep the CUDA-core FMA form below, exact to f32 like the GEMV form,
// and so do block-quantized weights, dequantized as the W slice is staged
// into shared memory.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/LinearForms.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// The large-rows (tiled GEMM) form, for long prefill chunks: a block computes
// a kTileRows x kTileCols tile of y (for SwiGLU, the tile's W1 and W3
// columns together), staging kTileK-wide slices of x and W through shared
// memory, so each weight element is read once per 64 rows instead of once
// per 8. 256 threads as 16 x 16; thread (ty, tx) owns rows 4 ty + i and
// columns 4 tx + j (i, j < 4). The slices are stored k-major (xs[k][row],
// ws[k][col]), so each step of k reads a thread's 4 x values and 4 W values
// with one 128-bit shared load each (x: a broadcast within the warp's two
// ty; W: 16 distinct chunks), 16 FMA per 2 loads. f32 FMA.
constexpr int64_t kTileK = 32;
constexpr int32_t kTileThreads = 256;

constexpr llvm::StringLiteral kTiledTemplate =
#include "kernels/linear_tiled.inc"
    ;

constexpr llvm::StringLiteral kTileNormApply =
    R"(        v = v * inv_rms[r] * lfm_to_float(norm_w[k]);)";

// W's element (row g * kOut + col0 + c, column k) into the slice: as
// stored, or dequantized from its block (quantized W of any dtype take this
// form, the slice being f32).
constexpr llvm::StringLiteral kTileLoad =
    "v = lfm_to_float(w[(long long)(g * kOut + col0 + c) * kK + k]);";
constexpr llvm::StringLiteral kQuantTileLoad =
    "${DEQUANT}<1>(w + (long long)(g * kOut + col0 + c) * ${ROW_BYTES}, k, "
    "&v);";

} // namespace

llvm::Expected<KernelSource> emitLinearLargeRows(const EmitContext &ctx) {
  llvm::Expected<LinearSpec> parsed = parseLinear(ctx);
  if (!parsed)
    return parsed.takeError();
  const LinearSpec &spec = *parsed;
  if (!spec.quant &&
      (spec.wDType == ::lfm::DType::kBF16 || spec.wDType == ::lfm::DType::kF16))
    return emitLinearTensorCore(ctx, spec);
  std::vector<std::pair<std::string, std::string>> vars =
      tiledLinearVars(ctx, spec, kTileK, kTileThreads);
  vars.emplace_back("TILE_NORM_SETUP",
                    spec.prologueNorm ? fillTemplate(kTileNormSetup, vars) : "");
  vars.emplace_back("TILE_NORM_APPLY",
                    spec.prologueNorm ? kTileNormApply.str() : "");
  vars.emplace_back("TILE_EPILOGUE", tileEpilogueText(spec.epilogue));
  vars.emplace_back(
      "W_TILE_LOAD",
      spec.quant
          ? fillTemplate(kQuantTileLoad,
                         {{"DEQUANT", spec.quant->dequant},
                          {"ROW_BYTES", std::to_string(spec.quant->rowBytes)}})
          : kTileLoad.str());

  KernelSource source;
  source.body = fillTemplate(kTiledTemplate, vars);
  source.geometry = tiledGeometry(spec, kTileThreads);
  return source;
}

} // namespace mlir::lfm::cuda
