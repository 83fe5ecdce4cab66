//===- LinearForms.cpp - What the kernel forms of linear share ------------===//
//
// The launch reader, template variables, norm prologue, epilogue and launch
// shape that the GEMV, tiled and tensor-core forms of linear share
// (LinearForms.h).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/LinearForms.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {

llvm::Expected<LinearSpec> parseLinear(const EmitContext &ctx) {
  const Launch &launch = ctx.launch;
  const int64_t prologueNorm = launch.attr(IntAttr::kPrologueNorm, 0);
  const int64_t epilogue = launch.attr(IntAttr::kEpilogue, kNone);
  if (prologueNorm != 0 && prologueNorm != 1)
    return emitError(ctx, "prologue_norm must be 0 or 1");
  if (epilogue < kNone || epilogue > kSwiGlu)
    return emitError(ctx, "epilogue must be 0, 1 or 2");
  const size_t numOperands =
      2 + (prologueNorm ? 1 : 0) + (epilogue == kResidual ? 1 : 0);
  if (llvm::Error err = expectArity(ctx, numOperands, 1))
    return std::move(err);

  BufferDesc x = describeBuffer(ctx.plan, launch.operands[0]);
  BufferDesc w = describeBuffer(ctx.plan, launch.operands[1]);
  BufferDesc y = describeBuffer(ctx.plan, launch.results[0]);
  if (w.ref.kind != BufferRef::kWeight ||
      ctx.plan.weights[w.ref.index].shape.size() != 2)
    return emitError(ctx, "operand 1 must be a 2-D weight");
  const int64_t k = w.width;
  const int64_t nRows = ctx.plan.weights[w.ref.index].shape[0];
  if (k <= 0 || nRows <= 0)
    return emitError(ctx, "the weight " + w.name + " is empty");
  if (x.width != k)
    return emitError(ctx, llvm::formatv("the input is {0} wide, the weight {1}",
                                        x.width, k));
  const int64_t gates = epilogue == kSwiGlu ? 2 : 1;
  if (nRows % gates != 0)
    return emitError(ctx, "a SwiGLU weight needs an even row count (W1|W3)");
  const int64_t nOut = nRows / gates;
  if (y.width != nOut)
    return emitError(ctx, llvm::formatv("the result is {0} wide, expected {1}",
                                        y.width, nOut));
  if (y.rows != x.rows)
    return emitError(ctx, "the input and the result have different row spaces");

  llvm::Expected<std::optional<QuantWeight>> quant = quantWeightOf(ctx, w);
  if (!quant)
    return quant.takeError();
  std::string bind = bindBuffer("x", x, 0, false) +
                     (*quant ? bindQuantWeight("w", w, **quant, 1)
                             : bindBuffer("w", w, 1, false));
  int next = 2;
  double eps = 0.0;
  if (prologueNorm) {
    llvm::Expected<double> epsAttr = floatAttr(ctx, ::lfm::FloatAttr::kEps);
    if (!epsAttr)
      return epsAttr.takeError();
    eps = *epsAttr;
    BufferDesc normW = describeBuffer(ctx.plan, launch.operands[next]);
    if (normW.width != k)
      return emitError(ctx, "the norm weight must have one value per column");
    bind += bindBuffer("norm_w", normW, next++, false);
  }
  if (epilogue == kResidual) {
    BufferDesc residual = describeBuffer(ctx.plan, launch.operands[next]);
    if (residual.width != nOut)
      return emitError(ctx, "the residual must have the result's width");
    bind += bindBuffer("residual", residual, next++, false);
  }
  bind += bindBuffer("y", y, next, true);

  std::string what = "x . W^T";
  if (prologueNorm)
    what = "rms_norm(x) . W^T";
  if (epilogue == kResidual)
    what += " + residual";
  if (epilogue == kSwiGlu)
    what = "silu(" + what + "[:, :N']) * (" + what + "[:, N':])";
  if (*quant)
    what += ", W " + (*quant)->name + " dequantized as it is loaded";
  LinearSpec spec;
  spec.k = k;
  spec.nOut = nOut;
  spec.gates = gates;
  spec.prologueNorm = prologueNorm;
  spec.epilogue = epilogue;
  spec.eps = eps;
  spec.rows = x.rows;
  spec.wDType = w.dtype;
  spec.xDType = x.dtype;
  spec.quant = *quant;
  spec.bind = std::move(bind);
  spec.what = std::move(what);
  return spec;
}

std::vector<std::pair<std::string, std::string>>
commonLinearVars(const EmitContext &ctx, const LinearSpec &spec) {
  return {
      {"ENTRY", ctx.entryPoint},
      {"K", std::to_string(spec.k)},
      {"NOUT", std::to_string(spec.nOut)},
      {"GATES", std::to_string(spec.gates)},
      {"ROWS", rowCountExpr(spec.rows).str()},
      {"WTYPE", spec.quant ? "unsigned char" : storageType(spec.wDType).str()},
      {"WROW_STRIDE",
       spec.quant ? std::to_string(spec.quant->rowBytes) : std::string("kK")},
      {"BIND", spec.bind},
      {"EPS", floatLiteral(spec.eps)},
      {"WHAT", spec.what},
  };
}

// Per-row 1/rms of the tile's rows into shared memory, once per block: one
// warp per row, the same sum as the GEMV form's prologue.
const llvm::StringLiteral kTileNormSetup = R"(
  // rms_norm prologue: 1/rms of each of the tile's rows, one warp per row.
  __shared__ float inv_rms[kBM];
  {
    const int warp = tid >> 5;
    const int lane = tid & 31;
    for (int r = warp; r < kBM; r += kThreads / 32) {
      float sum_sq = 0.0f;
      if (r < rows) {
        for (int k = lane; k < kK; k += 32) {
          const float v = lfm_to_float(x[(long long)(row0 + r) * kK + k]);
          sum_sq += v * v;
        }
      }
      sum_sq = lfm_warp_sum(sum_sq);
      if (lane == 0) inv_rms[r] = lfm_rms_scale(sum_sq, (float)kK, ${EPS});
    }
  }
  __syncthreads();
)";

std::string tileEpilogueText(int64_t epilogue, llvm::StringRef at,
                             llvm::StringRef indent) {
  const std::string acc0 = ("acc[0]" + at).str();
  const std::string acc1 = ("acc[kGates - 1]" + at).str();
  const std::string pad = indent.str();
  switch (epilogue) {
  case kResidual:
    return pad + "const float out = " + acc0 +
           " + lfm_to_float(residual[row * kOut + col]);";
  case kSwiGlu:
    return pad + "// SwiGLU: silu(x . W1[col]) * (x . W3[col]).\n" + pad +
           "const float out = lfm_silu(" + acc0 + ") * " + acc1 + ";";
  default:
    return pad + "const float out = " + acc0 + ";";
  }
}

std::vector<std::pair<std::string, std::string>>
tiledLinearVars(const EmitContext &ctx, const LinearSpec &spec, int64_t tileK,
                int32_t threads) {
  static constexpr llvm::StringLiteral kTileConstants =
      R"(  constexpr int kK = ${K};  // reduction width (columns of x and W)
  constexpr int kOut = ${NOUT};  // output columns
  constexpr int kGates = ${GATES};  // weight rows per output column
  constexpr int kBM = ${BM};  // rows of x per tile
  constexpr int kBN = ${BN};  // output columns per tile
  constexpr int kBK = ${BK};  // K slice staged per iteration)";
  std::vector<std::pair<std::string, std::string>> vars =
      commonLinearVars(ctx, spec);
  vars.insert(vars.end(), {{"BM", std::to_string(kTileRows)},
                           {"BN", std::to_string(kTileCols)},
                           {"BK", std::to_string(tileK)},
                           {"THREADS", std::to_string(threads)}});
  vars.emplace_back("TILE_CONSTANTS", fillTemplate(kTileConstants, vars));
  return vars;
}

LaunchGeometry tiledGeometry(const LinearSpec &spec, int32_t threads) {
  return affineGeometry(
      threads,
      AffineTerm{0, 0, 0, 0,
                 static_cast<int64_t>(llvm::divideCeil(spec.nOut, kTileCols)), 1},
      AffineTerm::rows(spec.rows, kTileRows));
}

} // namespace mlir::lfm::cuda
