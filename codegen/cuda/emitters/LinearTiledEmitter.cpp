//===- LinearTiledEmitter.cpp - linear: tiled GEMM for long chunks --------===//
//
// emitLinearLargeRows: the kernel that devices run instead of the GEMV form
// when a step has >= Launch::large_rows_threshold rows (EmitterRegistry.cpp
// sets it): a shared-memory tiled GEMM of 64 x 64 output tiles, so each
// weight element is read once per 64 rows instead of once per 8. bf16 and
// f16 weights go to the tensor-core form (LinearTensorCoreEmitter.cpp); f32
// weights keep the CUDA-core FMA form below, exact to f32 like the GEMV form.
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
    R"(// linear: y(rows x ${NOUT}) = ${WHAT}
// Tiled GEMM form (long prefill chunks): ${BM} x ${BN} output tiles per block,
// ${BK}-wide K slices of x and W staged through shared memory, 4 x 4 outputs
// (x ${GATES} gate(s)) per thread, f32 accumulation.
extern "C" __global__ void ${ENTRY}(LfmKernelArgs args) {
${TILE_CONSTANTS}
  constexpr int kThreads = ${THREADS};
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

constexpr llvm::StringLiteral kTileNormApply =
    R"(        v = v * inv_rms[r] * lfm_to_float(norm_w[k]);)";

} // namespace

llvm::Expected<KernelSource> emitLinearLargeRows(const EmitContext &ctx) {
  llvm::Expected<LinearSpec> parsed = parseLinear(ctx);
  if (!parsed)
    return parsed.takeError();
  const LinearSpec &spec = *parsed;
  if (spec.wDType == ::lfm::DType::kBF16 || spec.wDType == ::lfm::DType::kF16)
    return emitLinearTensorCore(ctx, spec);
  std::vector<std::pair<std::string, std::string>> vars =
      tiledLinearVars(ctx, spec, kTileK, kTileThreads);
  vars.emplace_back("TILE_NORM_SETUP",
                    spec.prologueNorm ? fillTemplate(kTileNormSetup, vars) : "");
  vars.emplace_back("TILE_NORM_APPLY",
                    spec.prologueNorm ? kTileNormApply.str() : "");
  vars.emplace_back("TILE_EPILOGUE", tileEpilogueText(spec.epilogue));

  KernelSource source;
  source.body = fillTemplate(kTiledTemplate, vars);
  source.geometry = tiledGeometry(spec, kTileThreads);
  return source;
}

} // namespace mlir::lfm::cuda
