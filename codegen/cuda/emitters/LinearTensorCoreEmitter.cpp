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
    R"(// linear: y(rows x ${NOUT}) = ${WHAT}
// Tensor-core tiled GEMM form (long prefill chunks): ${BM} x ${BN} output
// tiles per block, 4 warps of 32 x 32, mma.m16n8k16 on ${WTYPE} operands
// with f32 accumulation; ${BK}-wide K slices of x (${XFORM}) and W staged
// through shared memory in ${STAGES} stages (${SHARED_BYTES} bytes): the
// warps multiply one slice while the next ones load (${PIPELINE}).
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
${TILE_CONSTANTS}
  constexpr int kLd = kBK + 8;  // shared row pitch (elements)
  constexpr int kXVec = ${XVEC};  // x elements per global read
  constexpr int kWVec = ${WVEC};  // W elements per global read
  constexpr int kThreads = ${THREADS};
  constexpr int kStages = ${STAGES};  // K slices in shared memory at once
${BIND}
  __shared__ __align__(16) ${WTYPE} xs[kStages][kBM][kLd];
${TC_XLO_DECL}  __shared__ __align__(16) ${WTYPE} ws[kStages][kGates][kBN][kLd];
  const int tid = threadIdx.x;
  const int warp = tid >> 5;
  const int lane = tid & 31;
  const int wm = (warp >> 1) * 32;  // the warp's rows within the tile
  const int wn = (warp & 1) * 32;  // the warp's columns within the tile
  const int gid = lane >> 2;  // fragment row group
  const int tig = lane & 3;  // thread in group
  const int row0 = blockIdx.y * kBM;
  const int rows = min(kBM, ${ROWS} - row0);
  const int col0 = blockIdx.x * kBN;
${TILE_NORM_SETUP}
  float acc[kGates][2][4][4];
#pragma unroll
  for (int g = 0; g < kGates; ++g)
#pragma unroll
    for (int mi = 0; mi < 2; ++mi)
#pragma unroll
      for (int ni = 0; ni < 4; ++ni)
#pragma unroll
        for (int h = 0; h < 4; ++h) acc[g][mi][ni][h] = 0.0f;

  // Stage K slice k0 into stage st, bit for bit: W's rows for the tile's
  // columns${STAGE_X_WHAT} (zero outside). Consecutive threads read
  // consecutive chunks of a row (coalesced); 16-byte chunks are async copies.
  auto stage_slice = [&](int st, int k0) {
#pragma unroll
    for (int g = 0; g < kGates; ++g) {
      for (int e = tid; e < kBN * (kBK / kWVec); e += kThreads) {
        const int c = e / (kBK / kWVec);
        const int kk = e % (kBK / kWVec) * kWVec;
        const int k = k0 + kk;
        if (col0 + c < kOut && k < kK)
          lfm_copy_bits_async_n<kWVec>(&ws[st][g][c][kk], w + (long long)(g * kOut + col0 + c) * kK + k);
        else
          lfm_zero_n<kWVec>(&ws[st][g][c][kk]);
      }
    }
${TC_X_COPY}  };
${TC_X_SPLIT}
  // Prologue: slices 0 .. kStages - 2 in flight, one commit group each
  // (empty groups past K keep the count uniform).
${TC_X_FIRST}#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s * kBK < kK) stage_slice(s, s * kBK);
    lfm_cp_async_commit();
  }

  for (int k0 = 0, st = 0; k0 < kK; k0 += kBK, st = (st + 1) % kStages) {
    // This thread's copies of slice k0 have landed (later slices may be in
    // flight); after the barrier every thread's have, and every warp is
    // done with the previous slice's stage, which the loads below reuse.
    lfm_cp_async_wait<kStages - 2>();
    __syncthreads();
    const int k_next = k0 + (kStages - 1) * kBK;  // the slice to start loading
    if (k_next < kK) stage_slice((st + kStages - 1) % kStages, k_next);
    lfm_cp_async_commit();
${TC_X_NEXT}#pragma unroll
    for (int ks = 0; ks < kBK; ks += 16) {
      // A fragments (rows of x): rows gid and gid + 8, k 2 tig and 2 tig + 8.
      unsigned int a[2][4];
${TC_ALO_DECL}#pragma unroll
      for (int mi = 0; mi < 2; ++mi) {
        const int at = (wm + 16 * mi + gid) * kLd + ks + 2 * tig;
        const ${WTYPE} *p = &xs[st][0][0] + at;
        a[mi][0] = lfm_load_pair(p);
        a[mi][1] = lfm_load_pair(p + 8 * kLd);
        a[mi][2] = lfm_load_pair(p + 8);
        a[mi][3] = lfm_load_pair(p + 8 * kLd + 8);
${TC_ALO_LOAD}      }
#pragma unroll
      for (int g = 0; g < kGates; ++g) {
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) {
          // B fragments (rows of W = columns of B): column gid, k 2 tig, 2 tig + 8.
          const ${WTYPE} *p = &ws[st][g][wn + 8 * ni + gid][ks + 2 * tig];
          const unsigned int b[2] = {lfm_load_pair(p), lfm_load_pair(p + 8)};
#pragma unroll
          for (int mi = 0; mi < 2; ++mi) {
${TC_MMA_LO}            lfm_mma_m16n8k16(${WTYPE}{}, acc[g][mi][ni], a[mi], b);
          }
        }
      }
    }
${TC_X_STORE}  }

  // Accumulator h of tile (mi, ni): row gid (+ 8 for h >= 2), column
  // 2 tig + (h & 1).
#pragma unroll
  for (int mi = 0; mi < 2; ++mi) {
#pragma unroll
    for (int h = 0; h < 4; ++h) {
      const int r = wm + 16 * mi + gid + (h >= 2 ? 8 : 0);
      if (r >= rows) continue;
      const long long row = row0 + r;
#pragma unroll
      for (int ni = 0; ni < 4; ++ni) {
        const int col = col0 + wn + 8 * ni + 2 * tig + (h & 1);
        if (col >= kOut) continue;
${TILE_EPILOGUE}
        lfm_from_float(y[row * kOut + col], out);
      }
    }
  }
}
)";

// The hi + lo path: x is converted to float (and normalized by the
// prologue) on its way through registers, one slice ahead: the next slice's
// global reads are issued before the mma on the current one, and their
// hi + lo parts stored to the next stage after it.
constexpr llvm::StringLiteral kTcXSplit = R"(  // Load x[row0.., k0..] into registers as float (normalized, with the
  // prologue), zero outside: the chunks tid + i * kThreads of the slice.
  constexpr int kXChunks = kBM * (kBK / kXVec) / kThreads;
  static_assert(kXChunks * kThreads == kBM * (kBK / kXVec), "whole chunks per thread");
  float xv[kXChunks][kXVec];
  auto load_x = [&](int k0) {
#pragma unroll
    for (int i = 0; i < kXChunks; ++i) {
      const int e = tid + i * kThreads;
      const int r = e / (kBK / kXVec);
      const int k = k0 + e % (kBK / kXVec) * kXVec;
      float *v = xv[i];
      if (r < rows && k < kK) {
        lfm_load_n<kXVec>(x + (long long)(row0 + r) * kK + k, v);
${TC_NORM_APPLY}
      } else {
#pragma unroll
        for (int j = 0; j < kXVec; ++j) v[j] = 0.0f;
      }
    }
  };
  // The loaded slice into stage st as x = hi + lo: hi rounded to ${WTYPE},
  // lo the exact remainder, rounded.
  auto store_x = [&](int st) {
#pragma unroll
    for (int i = 0; i < kXChunks; ++i) {
      const int e = tid + i * kThreads;
      const int r = e / (kBK / kXVec);
      const int kk = e % (kBK / kXVec) * kXVec;
      float hi[kXVec], lo[kXVec];
#pragma unroll
      for (int j = 0; j < kXVec; ++j) {
        hi[j] = lfm_round_to<${WTYPE}>(xv[i][j]);
        lo[j] = xv[i][j] - hi[j];
      }
      lfm_store_n<kXVec>(&xs[st][r][kk], hi);
      lfm_store_n<kXVec>(&xs_lo[st][r][kk], lo);
    }
  };
)";
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
