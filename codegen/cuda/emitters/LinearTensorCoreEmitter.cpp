//===- LinearTensorCoreEmitter.cpp - linear: tensor-core tiled GEMM -------===//
//
// The tensor-core form of emitLinearLargeRows, for bf16 and f16 weights:
// mma.m16n8k16 through the prelude's lfm_mma_m16n8k16 (whose host path the
// emu device runs), f32 accumulation, with the GEMV form's fusions.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/LinearForms.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// The tensor-core form, for bf16 and f16 weights: the same 64 x 64 output
// tile, 4 warps (2 x 2) of 32 x 32, each warp 2 x 4 mma.m16n8k16 tiles per
// gate and 16-wide k step. The K slices of x and W are staged in shared
// memory in the weights' 16-bit type, row-major with rows padded to 40
// elements (80 bytes: 16-byte aligned for the 128-bit stores, and the
// fragment reads, 8 rows x 4 words per warp, hit 32 distinct banks). Global
// reads are kXVec / kWVec elements wide (128-bit for 8 x bf16 when K allows;
// chooseChunk). W is copied bit for bit, and so is x when it already has the
// weights' type and there is no prologue. Otherwise x (f32, or normalized by
// the prologue in f32) is split into hi = x rounded to the weights' type and
// lo = x - hi rounded likewise, and the warp runs the mma on both (twice the
// tensor-core work for those launches): hi + lo carries x to about 2^-16
// relative, so the product agrees with the GEMV form and the cpu reference,
// which multiply f32 x. (Rounding x to bf16 alone, as an unfused rms_norm
// with 16-bit output would, moved the bf16 golden logits by up to 0.81
// against the 0.75 bound; with the split they stay at the GEMV form's.)
//
// The K loop is software-pipelined over kStages shared-memory stages (3 when
// they fit in 48 KB of static shared memory, else 2: tensorCoreStages):
// 16-byte chunks of W, and of x when it is copied bit for bit, are
// cp.async copies issued kStages - 1 slices ahead of the mma; the hi + lo
// x is read into registers one slice ahead (before the mma) and stored to
// its stage after it. One barrier per slice, after the wait for the
// slice's copies, both publishes the slice and retires the stage that the
// new copies overwrite. Chunks narrower than 16 bytes (K not a multiple of
// 8) and the zeros outside the operands are plain stores into the stage.
constexpr int64_t kTcTileK = 32;
constexpr int32_t kTcThreads = 128;

constexpr llvm::StringLiteral kTensorCoreTemplate =
#include "kernels/linear_tensor_core.inc"
    ;

// The hi + lo path: x is converted to float (and normalized by the
// prologue) on its way through registers, one slice ahead: the next slice's
// global reads are issued before the mma on the current one, and their
// hi + lo parts stored to the next stage after it.
constexpr llvm::StringLiteral kTcXSplit =
#include "kernels/linear_tensor_core_x_split.inc"
    ;
constexpr llvm::StringLiteral kTcXFirst = "  load_x(0);\n  store_x(0);\n";
constexpr llvm::StringLiteral kTcXNext =
    "    if (k0 + kBK < kK) load_x(k0 + kBK);  // used after the mma\n";
constexpr llvm::StringLiteral kTcXStore = R"(    // The next slice of x into its stage (read by no warp since the barrier).
    if (k0 + kBK < kK) store_x((st + 1) % kStages);
)";

constexpr llvm::StringLiteral kTcXloDecl =
    "  __shared__ __align__(16) ${WTYPE} xs_lo[kStages][kBM][kLd];  // x - xs, rounded\n";
constexpr llvm::StringLiteral kTcAloDecl = "      unsigned int alo[2][4];\n";
constexpr llvm::StringLiteral kTcAloLoad = R"(        const ${WTYPE} *q = &xs_lo[st][0][0] + at;
        alo[mi][0] = lfm_load_pair(q);
        alo[mi][1] = lfm_load_pair(q + 8 * kLd);
        alo[mi][2] = lfm_load_pair(q + 8);
        alo[mi][3] = lfm_load_pair(q + 8 * kLd + 8);
)";
constexpr llvm::StringLiteral kTcMmaLo =
    "            lfm_mma_m16n8k16(${WTYPE}{}, acc[g][mi][ni], alo[mi], b);\n";

constexpr llvm::StringLiteral kTcNormApply = R"(        float nw[kXVec];
        lfm_load_n<kXVec>(norm_w + k, nw);
#pragma unroll
        for (int j = 0; j < kXVec; ++j) v[j] = v[j] * inv_rms[r] * nw[j];)";

// x already in the weights' type and no prologue: staged with W, bit for bit.
constexpr llvm::StringLiteral kTcXCopy =
    R"(    for (int e = tid; e < kBM * (kBK / kXVec); e += kThreads) {
      const int r = e / (kBK / kXVec);
      const int kk = e % (kBK / kXVec) * kXVec;
      const int k = k0 + kk;
      if (r < rows && k < kK)
        lfm_copy_bits_async_n<kXVec>(&xs[st][r][kk], x + (long long)(row0 + r) * kK + k);
      else
        lfm_zero_n<kXVec>(&xs[st][r][kk]);
    }
)";

// The stages that fit in 48 KB of static shared memory per block (3 when
// they do, else 2): each holds the slice of x (and its lo part) and of W.
int64_t tensorCoreStages(const LinearSpec &spec, bool copyX,
                         int64_t *sharedBytes) {
  const int64_t pitch = kTcTileK + 8;  // kLd
  const int64_t perStage =
      2 * pitch * (kTileRows * (copyX ? 1 : 2) + spec.gates * kTileCols);
  const int64_t fixed = spec.prologueNorm ? 4 * kTileRows : 0;  // inv_rms
  const int64_t stages = 3 * perStage + fixed <= 48 * 1024 ? 3 : 2;
  *sharedBytes = stages * perStage + fixed;
  return stages;
}

} // namespace

KernelSource emitLinearTensorCore(const EmitContext &ctx,
                                  const LinearSpec &spec) {
  // 128-bit reads need every row start and chunk aligned: the chunk must
  // divide K (and the 32-wide slice, which every chunk <= 8 does). Only
  // 16-byte chunks (8 elements) are asynchronous copies.
  const int64_t vec = chooseChunk({spec.k});
  const bool async = vec * 2 == 16;  // 16-bit elements
  const bool copyX = !spec.prologueNorm && spec.xDType == spec.wDType;
  int64_t sharedBytes = 0;
  const int64_t stages = tensorCoreStages(spec, copyX, &sharedBytes);
  std::string pipeline = !async ? "K is not a multiple of 8: synchronous copies"
                         : copyX ? "x and W by cp.async"
                                 : "W by cp.async, x through registers";
  std::vector<std::pair<std::string, std::string>> vars =
      tiledLinearVars(ctx, spec, kTcTileK, kTcThreads);
  vars.insert(vars.end(), {{"XVEC", std::to_string(vec)},
                           {"WVEC", std::to_string(vec)},
                           {"STAGES", std::to_string(stages)},
                           {"SHARED_BYTES", std::to_string(sharedBytes)},
                           {"PIPELINE", pipeline},
                           {"STAGE_X_WHAT", copyX ? " and x's tile rows" : ""},
                           {"XFORM", copyX ? "as stored" : "as hi + lo"}});
  vars.emplace_back("TILE_NORM_SETUP",
                    spec.prologueNorm ? fillTemplate(kTileNormSetup, vars) : "");
  vars.emplace_back("TC_NORM_APPLY",
                    spec.prologueNorm ? kTcNormApply.str() : "");
  vars.emplace_back("TC_X_COPY", copyX ? kTcXCopy.str() : "");
  auto ifSplit = [&](llvm::StringRef text) {
    return copyX ? std::string() : fillTemplate(text, vars);
  };
  vars.emplace_back("TC_X_SPLIT", ifSplit(kTcXSplit));
  vars.emplace_back("TC_X_FIRST", ifSplit(kTcXFirst));
  vars.emplace_back("TC_X_NEXT", ifSplit(kTcXNext));
  vars.emplace_back("TC_X_STORE", ifSplit(kTcXStore));
  vars.emplace_back("TC_XLO_DECL", ifSplit(kTcXloDecl));
  vars.emplace_back("TC_ALO_DECL", ifSplit(kTcAloDecl));
  vars.emplace_back("TC_ALO_LOAD", ifSplit(kTcAloLoad));
  vars.emplace_back("TC_MMA_LO", ifSplit(kTcMmaLo));
  vars.emplace_back("TILE_EPILOGUE",
                    tileEpilogueText(spec.epilogue, "[mi][ni][h]", "        "));

  KernelSource source;
  source.body = fillTemplate(kTensorCoreTemplate, vars);
  source.geometry = tiledGeometry(spec, kTcThreads);
  return source;
}

} // namespace mlir::lfm::cuda
