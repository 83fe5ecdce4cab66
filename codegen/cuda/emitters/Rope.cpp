//===- Rope.cpp - rope [x, row_offsets, start_pos] -> [y] -----------------===//
//
// NeoX (rotate-half) RoPE of every head of each token at its position:
// for j < d/2, a = pos * theta^(-2j/d),
//   y[j] = x[j] cos a - x[j+d/2] sin a,  y[j+d/2] = x[j+d/2] cos a + x[j] sin a.
// Each lane rotates a chunk of j of one head (both halves); the inverse
// frequencies are a table computed on the host in double, like the CPU
// reference, and the angle is reduced in double (lfm_rope_cos_sin).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"

#include "codegen/cuda/EmitterSupport.h"

namespace mlir::lfm::cuda {

llvm::Expected<KernelSource> emitRope(const EmitContext &ctx) {
  if (llvm::Error error = expectArity(ctx, 3, 1))
    return std::move(error);
  llvm::Expected<int64_t> headDim = intAttr(ctx, ::lfm::IntAttr::kHeadDim);
  if (!headDim)
    return headDim.takeError();
  llvm::Expected<double> theta = floatAttr(ctx, ::lfm::FloatAttr::kTheta);
  if (!theta)
    return theta.takeError();
  BufferDesc x = describeBuffer(ctx.plan, ctx.launch.operands[0]);
  BufferDesc y = describeBuffer(ctx.plan, ctx.launch.results[0]);
  if (*headDim <= 0 || *headDim % 2 != 0 || x.width % *headDim != 0 ||
      y.width != x.width)
    return emitError(ctx, "head_dim must be even and divide the width");

  const int64_t half = *headDim / 2;
  const int64_t chunk = chooseChunk({half});
  const int64_t chunksPerHead = half / chunk;
  RowTiling tiling = tileRows(x.width / *headDim * chunksPerHead);
  const std::string table = ctx.entryPoint + "_inv_freq";

  KernelSource out;
  out.body = fillTemplate(
      R"(${TABLE}
// rope: NeoX rotate-half RoPE, ${HEADS} heads of ${D} per row; each unit is
// ${C} rotation pairs (j, j + ${HALF}) of one head.
extern "C" __global__ void ${NAME}(LfmKernelArgs args) {
${BIND}  const int *__restrict__ row_offsets = (const int *)args.buf[1];
  const int *__restrict__ start_pos = (const int *)args.buf[2];
${PROLOGUE}  if (!in_range) return;
  const int seq = lfm_seq_of_token(row_offsets, args.num_seqs, row);
  const int pos = start_pos[seq] + row - row_offsets[seq];
  const long long base = (long long)row * ${W};
  ${LOOP}    const int head = u / ${CPH};
    const int j0 = (u % ${CPH}) * ${C};
    const long long lo = base + head * ${D} + j0;
    float a[${C}], b[${C}];
    lfm_load_n<${C}>(x + lo, a);
    lfm_load_n<${C}>(x + lo + ${HALF}, b);
#pragma unroll
    for (int k = 0; k < ${C}; ++k) {
      float c, s;
      lfm_rope_cos_sin(pos, ${TABLENAME}[j0 + k], &c, &s);
      const float ak = a[k], bk = b[k];
      a[k] = ak * c - bk * s;
      b[k] = bk * c + ak * s;
    }
    lfm_store_n<${C}>(y + lo, a);
    lfm_store_n<${C}>(y + lo + ${HALF}, b);
  }
}
)",
      {{"TABLE", ropeFrequencyTable(table, *headDim, *theta)},
       {"TABLENAME", table},
       {"HEADS", std::to_string(x.width / *headDim)},
       {"D", std::to_string(*headDim)},
       {"HALF", std::to_string(half)},
       {"C", std::to_string(chunk)},
       {"CPH", std::to_string(chunksPerHead)},
       {"W", std::to_string(x.width)},
       {"NAME", ctx.entryPoint},
       {"BIND", bindBuffer("x", x, 0, false) + bindBuffer("y", y, 3, true)},
       {"PROLOGUE", tiling.rowPrologue("args.num_tokens")},
       {"LOOP", tiling.unitLoopBegin(/*skipMissing=*/true)}});
  out.geometry = tiling.geometry(::lfm::RowSpace::kTokens);
  return out;
}

} // namespace mlir::lfm::cuda
