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

constexpr llvm::StringLiteral kRopeTemplate =
#include "kernels/rope.inc"
    ;

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
      kRopeTemplate,
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
