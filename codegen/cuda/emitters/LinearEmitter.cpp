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
//   - Lanes accumulate in f32 and combine with a butterfly warp sum; the
//     epilogue (residual add or silu(W1 x) * (W3 x)) runs on the sums.
//
// Grid: x = ceil(N' / (8 * kColsPerWarp)), y = ceil(rows / 8), rows being T
// or R (the row space of x).
//
// Long prefill chunks get a second kernel, emitLinearLargeRows: a
// shared-memory tiled GEMM (64 x 64 output tiles) that devices run instead
// when the step has >= Launch::large_rows_threshold rows (EmitterRegistry.cpp
// sets it). With bf16 or f16 weights it runs on the tensor cores
// (kTensorCoreTemplate: mma.m16n8k16 through the prelude's
// lfm_mma_m16n8k16, f32 accumulation); f32 weights keep the CUDA-core FMA
// form (kTiledTemplate), exact to f32 like the GEMV form.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/EmitterSupport.h"
#include "codegen/cuda/emitters/Emitters.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

enum Epilogue : int64_t { kNone = 0, kResidual = 1, kSwiGlu = 2 };

constexpr int64_t kWarps = 8;
constexpr int64_t kRowsPerBlock = 8;
// Blocks wanted before giving each warp two columns: enough to cover an
// H100/H200's 132 SMs twice, so narrow projections still fill the GPU.
constexpr int64_t kMinBlocksForTwoColumns = 264;

// The kernel text. ${...} are filled by emitLinear; the prologue and
// epilogue pieces are spliced in as ${NORM_SETUP}, ${NORM_APPLY} and
// ${EPILOGUE}.
constexpr llvm::StringLiteral kLinearTemplate =
    R"(// linear: y(rows x ${NOUT}) = ${WHAT}
// GEMV form: 8 warps per block, ${CPW} output column(s) per warp, up to
// ${RPB} rows of x per block, each lane streams ${VEC}-element chunks of the
// weight rows (128-bit loads) and accumulates in f32.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
  constexpr int kK = ${K};  // reduction width (columns of x and W)
  constexpr int kOut = ${NOUT};  // output columns
  constexpr int kVec = ${VEC};  // elements per lane per step
  constexpr int kStep = 32 * kVec;  // elements per warp per step
  constexpr int kColsPerWarp = ${CPW};
  constexpr int kGates = ${GATES};  // weight rows per output column
  constexpr int kRows = ${RPB};  // rows of x per block
${BIND}
  const int warp = threadIdx.x >> 5;
  const int lane = threadIdx.x & 31;
  const int row0 = blockIdx.y * kRows;
  const int rows = min(kRows, ${ROWS} - row0);
  const int col0 = (blockIdx.x * ${WARPS} + warp) * kColsPerWarp;
${NORM_SETUP}
  // Weight row of gate g for output column c: W1 rows first, then W3 rows.
  const ${WTYPE} *wrow[kColsPerWarp][kGates];
  bool col_ok[kColsPerWarp];
#pragma unroll
  for (int c = 0; c < kColsPerWarp; ++c) {
    col_ok[c] = col0 + c < kOut;
#pragma unroll
    for (int g = 0; g < kGates; ++g)
      wrow[c][g] = w + (long long)(g * kOut + (col_ok[c] ? col0 + c : 0)) * kK;
  }

  float acc[kColsPerWarp][kGates][kRows];
#pragma unroll
  for (int c = 0; c < kColsPerWarp; ++c)
#pragma unroll
    for (int g = 0; g < kGates; ++g)
#pragma unroll
      for (int r = 0; r < kRows; ++r) acc[c][g][r] = 0.0f;

#pragma unroll 4
  for (int k = lane * kVec; k < kK; k += kStep) {
    float wv[kColsPerWarp][kGates][kVec];
#pragma unroll
    for (int c = 0; c < kColsPerWarp; ++c)
#pragma unroll
      for (int g = 0; g < kGates; ++g) {
        if (col_ok[c]) {
          lfm_load_n<kVec>(wrow[c][g] + k, wv[c][g]);
        } else {
#pragma unroll
          for (int i = 0; i < kVec; ++i) wv[c][g][i] = 0.0f;
        }
      }
${NORM_LOAD}
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (r < rows) {
        float xv[kVec];
        lfm_load_n<kVec>(x + (long long)(row0 + r) * kK + k, xv);
${NORM_APPLY}
#pragma unroll
        for (int c = 0; c < kColsPerWarp; ++c)
#pragma unroll
          for (int g = 0; g < kGates; ++g)
#pragma unroll
            for (int i = 0; i < kVec; ++i) acc[c][g][r] += wv[c][g][i] * xv[i];
      }
    }
  }

  // Butterfly sums leave every lane with every total (rows < `rows` only: the
  // condition is uniform over the warp); lane r stores row r.
#pragma unroll
  for (int c = 0; c < kColsPerWarp; ++c)
#pragma unroll
    for (int g = 0; g < kGates; ++g)
#pragma unroll
      for (int r = 0; r < kRows; ++r)
        if (r < rows) acc[c][g][r] = lfm_warp_sum(acc[c][g][r]);
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    if (lane != r || r >= rows) continue;
    const long long row = row0 + r;
#pragma unroll
    for (int c = 0; c < kColsPerWarp; ++c) {
      if (!col_ok[c]) continue;
      const int col = col0 + c;
${EPILOGUE}
      lfm_from_float(y[row * kOut + col], out);
    }
  }
}
)";

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

constexpr llvm::StringLiteral kNormApply = R"(#pragma unroll
        for (int i = 0; i < kVec; ++i) xv[i] = xv[i] * inv_rms[r] * nw[i];)";


// The large-rows (tiled GEMM) form, for long prefill chunks: a block computes
// a kTileRows x kTileCols tile of y (for SwiGLU, the tile's W1 and W3
// columns together), staging kTileK-wide slices of x and W through shared
// memory, so each weight element is read once per 64 rows instead of once
// per 8. 256 threads as 16 x 16; thread (ty, tx) owns rows 4 ty + i and
// columns 4 tx + j (i, j < 4). The slices are stored k-major (xs[k][row],
// ws[k][col]), so each step of k reads a thread's 4 x values and 4 W values
// with one 128-bit shared load each (x: a broadcast within the warp's two
// ty; W: 16 distinct chunks), 16 FMA per 2 loads. f32 FMA.
constexpr int64_t kTileRows = 64;
constexpr int64_t kTileCols = 64;
constexpr int64_t kTileK = 32;
constexpr int32_t kTileThreads = 256;

constexpr llvm::StringLiteral kTiledTemplate =
    R"(// linear: y(rows x ${NOUT}) = ${WHAT}
// Tiled GEMM form (long prefill chunks): ${BM} x ${BN} output tiles per block,
// ${BK}-wide K slices of x and W staged through shared memory, 4 x 4 outputs
// (x ${GATES} gate(s)) per thread, f32 accumulation.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
  constexpr int kK = ${K};  // reduction width (columns of x and W)
  constexpr int kOut = ${NOUT};  // output columns
  constexpr int kGates = ${GATES};  // weight rows per output column
  constexpr int kBM = ${BM};  // rows of x per tile
  constexpr int kBN = ${BN};  // output columns per tile
  constexpr int kBK = ${BK};  // K slice staged per iteration
  constexpr int kThreads = 256;
${BIND}
  // k-major slices; rows padded to keep 16-byte alignment (128-bit reads).
  struct alignas(16) F4 { float v[4]; };
  __shared__ __align__(16) float xs[kBK][kBM + 4];
  __shared__ __align__(16) float ws[kGates][kBK][kBN + 4];
  const int tid = threadIdx.x;
  const int tx = tid & 15;
  const int ty = tid >> 4;
  const int row0 = blockIdx.y * kBM;
  const int rows = min(kBM, ${ROWS} - row0);
  const int col0 = blockIdx.x * kBN;
${TILE_NORM_SETUP}
  float acc[kGates][4][4];
#pragma unroll
  for (int g = 0; g < kGates; ++g)
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[g][i][j] = 0.0f;

  for (int k0 = 0; k0 < kK; k0 += kBK) {
    // Stage x[row0.., k0..] (zero outside) and W's rows for the tile's
    // columns; consecutive threads read consecutive k (coalesced).
    for (int e = tid; e < kBM * kBK; e += kThreads) {
      const int r = e / kBK;
      const int kk = e % kBK;
      const int k = k0 + kk;
      float v = 0.0f;
      if (r < rows && k < kK) {
        v = lfm_to_float(x[(long long)(row0 + r) * kK + k]);
${TILE_NORM_APPLY}
      }
      xs[kk][r] = v;
    }
#pragma unroll
    for (int g = 0; g < kGates; ++g) {
      for (int e = tid; e < kBN * kBK; e += kThreads) {
        const int c = e / kBK;
        const int kk = e % kBK;
        const int k = k0 + kk;
        float v = 0.0f;
        if (col0 + c < kOut && k < kK)
          v = lfm_to_float(w[(long long)(g * kOut + col0 + c) * kK + k]);
        ws[g][kk][c] = v;
      }
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kBK; ++kk) {
      const F4 a = *reinterpret_cast<const F4 *>(&xs[kk][4 * ty]);
#pragma unroll
      for (int g = 0; g < kGates; ++g) {
        const F4 b = *reinterpret_cast<const F4 *>(&ws[g][kk][4 * tx]);
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[g][i][j] += a.v[i] * b.v[j];
      }
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int r = 4 * ty + i;
    if (r >= rows) continue;
    const long long row = row0 + r;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int col = col0 + 4 * tx + j;
      if (col >= kOut) continue;
${TILE_EPILOGUE}
      lfm_from_float(y[row * kOut + col], out);
    }
  }
}
)";

// Per-row 1/rms of the tile's rows into shared memory, once per block: one
// warp per row, the same sum as the GEMV form's prologue.
constexpr llvm::StringLiteral kTileNormSetup = R"(
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

constexpr llvm::StringLiteral kTileNormApply =
    R"(        v = v * inv_rms[r] * lfm_to_float(norm_w[k]);)";

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
constexpr int64_t kTcTileK = 32;
constexpr int32_t kTcThreads = 128;

constexpr llvm::StringLiteral kTensorCoreTemplate =
    R"(// linear: y(rows x ${NOUT}) = ${WHAT}
// Tensor-core tiled GEMM form (long prefill chunks): ${BM} x ${BN} output
// tiles per block, 4 warps of 32 x 32, mma.m16n8k16 on ${WTYPE} operands
// with f32 accumulation; ${BK}-wide K slices of x (${XFORM}) and W staged
// through shared memory.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
  constexpr int kK = ${K};  // reduction width (columns of x and W)
  constexpr int kOut = ${NOUT};  // output columns
  constexpr int kGates = ${GATES};  // weight rows per output column
  constexpr int kBM = ${BM};  // rows of x per tile
  constexpr int kBN = ${BN};  // output columns per tile
  constexpr int kBK = ${BK};  // K slice staged per iteration
  constexpr int kLd = kBK + 8;  // shared row pitch (elements)
  constexpr int kXVec = ${XVEC};  // x elements per global read
  constexpr int kWVec = ${WVEC};  // W elements per global read
  constexpr int kThreads = 128;
${BIND}
  __shared__ __align__(16) ${WTYPE} xs[kBM][kLd];
${TC_XLO_DECL}  __shared__ __align__(16) ${WTYPE} ws[kGates][kBN][kLd];
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

  for (int k0 = 0; k0 < kK; k0 += kBK) {
    // Stage x[row0.., k0..] (zero outside); consecutive threads read
    // consecutive chunks of a row (coalesced).
    for (int e = tid; e < kBM * (kBK / kXVec); e += kThreads) {
      const int r = e / (kBK / kXVec);
      const int kk = e % (kBK / kXVec) * kXVec;
      const int k = k0 + kk;
${TC_X_STAGE}
    }
    // Stage W's rows for the tile's columns (zero outside), bit for bit.
#pragma unroll
    for (int g = 0; g < kGates; ++g) {
      for (int e = tid; e < kBN * (kBK / kWVec); e += kThreads) {
        const int c = e / (kBK / kWVec);
        const int kk = e % (kBK / kWVec) * kWVec;
        const int k = k0 + kk;
        if (col0 + c < kOut && k < kK)
          lfm_copy_bits_n<kWVec>(&ws[g][c][kk], w + (long long)(g * kOut + col0 + c) * kK + k);
        else
          lfm_zero_n<kWVec>(&ws[g][c][kk]);
      }
    }
    __syncthreads();
#pragma unroll
    for (int ks = 0; ks < kBK; ks += 16) {
      // A fragments (rows of x): rows gid and gid + 8, k 2 tig and 2 tig + 8.
      unsigned int a[2][4];
${TC_ALO_DECL}#pragma unroll
      for (int mi = 0; mi < 2; ++mi) {
        const int at = (wm + 16 * mi + gid) * kLd + ks + 2 * tig;
        const ${WTYPE} *p = &xs[0][0] + at;
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
          const ${WTYPE} *p = &ws[g][wn + 8 * ni + gid][ks + 2 * tig];
          const unsigned int b[2] = {lfm_load_pair(p), lfm_load_pair(p + 8)};
#pragma unroll
          for (int mi = 0; mi < 2; ++mi) {
${TC_MMA_LO}            lfm_mma_m16n8k16(${WTYPE}{}, acc[g][mi][ni], a[mi], b);
          }
        }
      }
    }
    __syncthreads();
  }

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

// x chunks converted to float, normalized (with the prologue) and stored as
// hi + lo in the weights' type; or, when x already has that type and there
// is no prologue, copied bit for bit.
constexpr llvm::StringLiteral kTcXStageSplit = R"(      float v[kXVec];
      if (r < rows && k < kK) {
        lfm_load_n<kXVec>(x + (long long)(row0 + r) * kK + k, v);
${TC_NORM_APPLY}
      } else {
#pragma unroll
        for (int i = 0; i < kXVec; ++i) v[i] = 0.0f;
      }
      // x = hi + lo: hi rounded to ${WTYPE}, lo the exact remainder, rounded.
      float lo[kXVec];
#pragma unroll
      for (int i = 0; i < kXVec; ++i) {
        const float hi = lfm_round_to<${WTYPE}>(v[i]);
        lo[i] = v[i] - hi;
        v[i] = hi;
      }
      lfm_store_n<kXVec>(&xs[r][kk], v);
      lfm_store_n<kXVec>(&xs_lo[r][kk], lo);)";

constexpr llvm::StringLiteral kTcXloDecl =
    "  __shared__ __align__(16) ${WTYPE} xs_lo[kBM][kLd];  // x - xs, rounded\n";
constexpr llvm::StringLiteral kTcAloDecl = "      unsigned int alo[2][4];\n";
constexpr llvm::StringLiteral kTcAloLoad = R"(        const ${WTYPE} *q = &xs_lo[0][0] + at;
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
        for (int i = 0; i < kXVec; ++i) v[i] = v[i] * inv_rms[r] * nw[i];)";

constexpr llvm::StringLiteral kTcXStageCopy =
    R"(      if (r < rows && k < kK)
        lfm_copy_bits_n<kXVec>(&xs[r][kk], x + (long long)(row0 + r) * kK + k);
      else
        lfm_zero_n<kXVec>(&xs[r][kk]);)";

// The tiled forms' epilogue; `at` indexes one accumulator of a gate
// ("[i][j]"), `indent` is the enclosing loop's.
std::string tileEpilogueText(int64_t epilogue, llvm::StringRef at = "[i][j]",
                             llvm::StringRef indent = "      ") {
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

// The validated operands of a linear launch, shared by both kernel forms.
struct LinearSpec {
  int64_t k = 0, nOut = 0, gates = 1, prologueNorm = 0, epilogue = kNone;
  double eps = 0.0;
  ::lfm::RowSpace rows = ::lfm::RowSpace::kTokens;
  ::lfm::DType wDType = ::lfm::DType::kF32;
  ::lfm::DType xDType = ::lfm::DType::kF32;
  std::string bind;  // the buffer bindings (x, w, norm_w, residual, y)
  std::string what;  // the formula, for the kernel's comment
};

llvm::Expected<LinearSpec> parseLinear(const EmitContext &ctx) {
  const Launch &launch = ctx.launch;
  auto intOr = [&](const char *name, int64_t fallback) {
    auto it = launch.ints.find(name);
    return it == launch.ints.end() ? fallback : it->second;
  };
  const int64_t prologueNorm = intOr("prologue_norm", 0);
  const int64_t epilogue = intOr("epilogue", kNone);
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

  std::string bind =
      bindBuffer("x", x, 0, false) + bindBuffer("w", w, 1, false);
  int next = 2;
  double eps = 0.0;
  if (prologueNorm) {
    llvm::Expected<double> epsAttr = floatAttr(ctx, "eps");
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
  spec.bind = std::move(bind);
  spec.what = std::move(what);
  return spec;
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
  const int64_t vec = chooseChunk({k});
  const int64_t oneColumnBlocks = llvm::divideCeil(nOut, kWarps);
  const int64_t colsPerWarp =
      oneColumnBlocks >= 2 * kMinBlocksForTwoColumns && gates == 1 ? 2 : 1;
  const int64_t colsPerBlock = kWarps * colsPerWarp;

  std::vector<std::pair<std::string, std::string>> vars = {
      {"ENTRY", ctx.entryPoint},
      {"K", std::to_string(k)},
      {"NOUT", std::to_string(nOut)},
      {"VEC", std::to_string(vec)},
      {"CPW", std::to_string(colsPerWarp)},
      {"GATES", std::to_string(gates)},
      {"RPB", std::to_string(kRowsPerBlock)},
      {"WARPS", std::to_string(kWarps)},
      {"ROWS", rowCountExpr(spec.rows).str()},
      {"WTYPE", storageType(spec.wDType).str()},
      {"BIND", spec.bind},
      {"EPS", floatLiteral(spec.eps)},
      {"WHAT", spec.what},
  };
  vars.emplace_back("NORM_SETUP",
                    prologueNorm ? fillTemplate(kNormSetup, vars) : "");
  vars.emplace_back("NORM_LOAD", prologueNorm ? kNormLoad.str() : "");
  vars.emplace_back("NORM_APPLY", prologueNorm ? kNormApply.str() : "");
  vars.emplace_back("EPILOGUE", epilogueText(epilogue));

  KernelSource source;
  source.body = fillTemplate(kLinearTemplate, vars);
  source.geometry = affineGeometry(
      static_cast<int32_t>(32 * kWarps),
      AffineTerm{0, 0, 0, 0,
                 static_cast<int64_t>(llvm::divideCeil(nOut, colsPerBlock)), 1},
      AffineTerm::rows(spec.rows, kRowsPerBlock));
  return source;
}

// The tensor-core form of emitLinearLargeRows (16-bit weights).
static KernelSource emitLinearTensorCore(const EmitContext &ctx,
                                         const LinearSpec &spec) {
  // 128-bit reads need every row start and chunk aligned: the chunk must
  // divide K (and the 32-wide slice, which every chunk <= 8 does).
  const int64_t vec = chooseChunk({spec.k});
  const bool copyX = !spec.prologueNorm && spec.xDType == spec.wDType;
  std::vector<std::pair<std::string, std::string>> vars = {
      {"ENTRY", ctx.entryPoint},
      {"K", std::to_string(spec.k)},
      {"NOUT", std::to_string(spec.nOut)},
      {"GATES", std::to_string(spec.gates)},
      {"BM", std::to_string(kTileRows)},
      {"BN", std::to_string(kTileCols)},
      {"BK", std::to_string(kTcTileK)},
      {"XVEC", std::to_string(vec)},
      {"WVEC", std::to_string(vec)},
      {"ROWS", rowCountExpr(spec.rows).str()},
      {"WTYPE", storageType(spec.wDType).str()},
      {"BIND", spec.bind},
      {"EPS", floatLiteral(spec.eps)},
      {"WHAT", spec.what},
      {"XFORM", copyX ? "as stored" : "as hi + lo"},
  };
  vars.emplace_back("TILE_NORM_SETUP",
                    spec.prologueNorm ? fillTemplate(kTileNormSetup, vars) : "");
  vars.emplace_back("TC_NORM_APPLY",
                    spec.prologueNorm ? kTcNormApply.str() : "");
  vars.emplace_back("TC_X_STAGE", copyX ? kTcXStageCopy.str()
                                        : fillTemplate(kTcXStageSplit, vars));
  auto ifSplit = [&](llvm::StringRef text) {
    return copyX ? std::string() : fillTemplate(text, vars);
  };
  vars.emplace_back("TC_XLO_DECL", ifSplit(kTcXloDecl));
  vars.emplace_back("TC_ALO_DECL", ifSplit(kTcAloDecl));
  vars.emplace_back("TC_ALO_LOAD", ifSplit(kTcAloLoad));
  vars.emplace_back("TC_MMA_LO", ifSplit(kTcMmaLo));
  vars.emplace_back("TILE_EPILOGUE",
                    tileEpilogueText(spec.epilogue, "[mi][ni][h]", "        "));

  KernelSource source;
  source.body = fillTemplate(kTensorCoreTemplate, vars);
  source.geometry = affineGeometry(
      kTcThreads,
      AffineTerm{0, 0, 0, 0,
                 static_cast<int64_t>(llvm::divideCeil(spec.nOut, kTileCols)), 1},
      AffineTerm::rows(spec.rows, kTileRows));
  return source;
}

llvm::Expected<KernelSource> emitLinearLargeRows(const EmitContext &ctx) {
  llvm::Expected<LinearSpec> parsed = parseLinear(ctx);
  if (!parsed)
    return parsed.takeError();
  const LinearSpec &spec = *parsed;
  if (spec.wDType == ::lfm::DType::kBF16 || spec.wDType == ::lfm::DType::kF16)
    return emitLinearTensorCore(ctx, spec);
  std::vector<std::pair<std::string, std::string>> vars = {
      {"ENTRY", ctx.entryPoint},
      {"K", std::to_string(spec.k)},
      {"NOUT", std::to_string(spec.nOut)},
      {"GATES", std::to_string(spec.gates)},
      {"BM", std::to_string(kTileRows)},
      {"BN", std::to_string(kTileCols)},
      {"BK", std::to_string(kTileK)},
      {"ROWS", rowCountExpr(spec.rows).str()},
      {"WTYPE", storageType(spec.wDType).str()},
      {"BIND", spec.bind},
      {"EPS", floatLiteral(spec.eps)},
      {"WHAT", spec.what},
  };
  vars.emplace_back("TILE_NORM_SETUP",
                    spec.prologueNorm ? fillTemplate(kTileNormSetup, vars) : "");
  vars.emplace_back("TILE_NORM_APPLY",
                    spec.prologueNorm ? kTileNormApply.str() : "");
  vars.emplace_back("TILE_EPILOGUE", tileEpilogueText(spec.epilogue));

  KernelSource source;
  source.body = fillTemplate(kTiledTemplate, vars);
  source.geometry = affineGeometry(
      kTileThreads,
      AffineTerm{0, 0, 0, 0,
                 static_cast<int64_t>(llvm::divideCeil(spec.nOut, kTileCols)), 1},
      AffineTerm::rows(spec.rows, kTileRows));
  return source;
}

} // namespace mlir::lfm::cuda
