//===- LinearEmitter.cpp - linear: GEMV with prologue and epilogue --------===//
//
// linear [x(rows,K), W(N,K), (norm_w), (residual)] -> [y(rows,N')] becomes a
// weight-streaming GEMV kernel: batch-1 (and small-batch) decode is bound by
// reading W once, so the kernel is organized around W's rows.
//
//   - A block is 8 warps. Each warp owns kColsPerWarp output columns (for
//     SwiGLU, column j is the pair W1 row j / W3 row j, both dotted by the
//     same warp) and walks their weight rows with 128-bit loads: lane l
//     reads elements [8*l, 8*l+8) of every 256-element step (bf16/f16; f32
//     rows take two 128-bit loads per step).
//   - The block handles up to kRowsPerBlock rows of x (8), so a step of up to
//     8 rows reads every weight byte once; more rows add grid rows that hit
//     the same weight slice in L2. x is read straight from global memory
//     (it is small and every warp of the block reads the same chunks, so it
//     is served by L1).
//   - The rms_norm prologue computes each row's 1/rms once per block (one
//     warp per row) into shared memory and applies x * inv_rms * norm_w while
//     loading x, in the CPU reference's order.
//   - A block-quantized W (q8_0, q4_0, q4_k, q6_k) is read 8 elements of
//     one block at a time through the prelude's dequantizer
//     (prelude/lfm_quant.cuh), so the loop is the same over f32 values.
//   - Lanes accumulate in f32 and combine with a butterfly warp sum; the
//     epilogue (residual add or silu(W1 x) * (W3 x)) runs on the sums.
//
// Grid: x = ceil(N' / (8 * kColsPerWarp)), y = ceil(rows / 8), rows being T
// or R (the row space of x).
//
// Long prefill chunks run the tiled forms instead (LinearForms.h).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/LinearForms.h"

#include "llvm/Support/MathExtras.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

constexpr int64_t kWarps = 8;
constexpr int64_t kRowsPerBlock = 8;
// Blocks wanted before giving each warp two columns: enough to cover an
// H100/H200's 132 SMs twice, so narrow projections still fill the GPU.
constexpr int64_t kMinBlocksForTwoColumns = 264;

// The kernel text. ${...} are filled by emitLinear; the prologue and
// epilogue pieces are spliced in as ${NORM_SETUP}, ${NORM_APPLY} and
// ${EPILOGUE}.
constexpr llvm::StringLiteral kLinearTemplate =
#include "kernels/linear_gemv.inc"
    ;

// Per-row 1/rms into shared memory: one warp per row, before the main loop.
constexpr llvm::StringLiteral kNormSetup = R"(
  // rms_norm prologue: 1/rms of each of the block's rows, one warp per row.
  __shared__ float inv_rms[kRows];
  for (int r = warp; r < kRows; r += ${WARPS}) {
    float sum_sq = 0.0f;
    if (r < rows) {
      for (int k = lane * kVec; k < kK; k += kStep) {
        float xv[kVec];
        lfm_load_n<kVec>(x + (long long)(row0 + r) * kK + k, xv);
#pragma unroll
        for (int i = 0; i < kVec; ++i) sum_sq += xv[i] * xv[i];
      }
    }
    sum_sq = lfm_warp_sum(sum_sq);
    if (lane == 0) inv_rms[r] = lfm_rms_scale(sum_sq, (float)kK, ${EPS});
  }
  __syncthreads();
)";

constexpr llvm::StringLiteral kNormLoad = R"(    float nw[kVec];
    lfm_load_n<kVec>(norm_w + k, nw);)";

// The weight chunk of column c, gate g: a 128-bit streamed load, or the
// dequantizer of a quantized W (8 elements of one block).
constexpr llvm::StringLiteral kWeightLoad =
    "lfm_load_n<kVec, true>(wrow[c][g] + k, wv[c][g]);  // streamed";
constexpr llvm::StringLiteral kQuantWeightLoad =
    "${DEQUANT}<kVec>(wrow[c][g], k, wv[c][g]);  // dequantized";

constexpr llvm::StringLiteral kNormApply = R"(#pragma unroll
        for (int i = 0; i < kVec; ++i) xv[i] = xv[i] * inv_rms[r] * nw[i];)";


std::string epilogueText(int64_t epilogue) {
  switch (epilogue) {
  case kResidual:
    return "      const float out = acc[c][0][r] + "
           "lfm_to_float(residual[row * kOut + col]);";
  case kSwiGlu:
    return "      // SwiGLU: silu(x . W1[col]) * (x . W3[col]).\n"
           "      const float out = lfm_silu(acc[c][0][r]) * acc[c][1][r];";
  default:
    return "      const float out = acc[c][0][r];";
  }
}

} // namespace

llvm::Expected<KernelSource> emitLinear(const EmitContext &ctx) {
  llvm::Expected<LinearSpec> parsed = parseLinear(ctx);
  if (!parsed)
    return parsed.takeError();
  const LinearSpec &spec = *parsed;
  const int64_t k = spec.k, nOut = spec.nOut, gates = spec.gates;
  const int64_t prologueNorm = spec.prologueNorm, epilogue = spec.epilogue;
  // 128-bit weight loads need K (hence every row start) to be a multiple of
  // the chunk; the prelude falls back to narrower loads otherwise.
  // A quantized row is whole blocks of 32 or 256: 8 elements share a block.
  const int64_t vec = spec.quant ? 8 : chooseChunk({k});
  const int64_t oneColumnBlocks = llvm::divideCeil(nOut, kWarps);
  const int64_t colsPerWarp =
      oneColumnBlocks >= 2 * kMinBlocksForTwoColumns && gates == 1 ? 2 : 1;
  const int64_t colsPerBlock = kWarps * colsPerWarp;

  std::vector<std::pair<std::string, std::string>> vars =
      commonLinearVars(ctx, spec);
  vars.insert(vars.end(), {{"VEC", std::to_string(vec)},
                           {"CPW", std::to_string(colsPerWarp)},
                           {"RPB", std::to_string(kRowsPerBlock)},
                           {"WARPS", std::to_string(kWarps)}});
  vars.emplace_back("NORM_SETUP",
                    prologueNorm ? fillTemplate(kNormSetup, vars) : "");
  vars.emplace_back("NORM_LOAD", prologueNorm ? kNormLoad.str() : "");
  vars.emplace_back("NORM_APPLY", prologueNorm ? kNormApply.str() : "");
  vars.emplace_back("EPILOGUE", epilogueText(epilogue));
  vars.emplace_back(
      "W_LOAD", spec.quant ? fillTemplate(kQuantWeightLoad,
                                          {{"DEQUANT", spec.quant->dequant}})
                           : kWeightLoad.str());

  KernelSource source;
  source.body = fillTemplate(kLinearTemplate, vars);
  source.geometry = affineGeometry(
      static_cast<int32_t>(32 * kWarps),
      AffineTerm{0, 0, 0, 0,
                 static_cast<int64_t>(llvm::divideCeil(nOut, colsPerBlock)), 1},
      AffineTerm::rows(spec.rows, kRowsPerBlock));
  return source;
}

} // namespace mlir::lfm::cuda
