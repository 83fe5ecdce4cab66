//===- QkNormRopeCacheEmitter.cpp - per-head norm, RoPE, KV-cache write ---===//
//
// qk_norm_rope_cache [qkv(T,(h+2kvh)*d), q_norm_w(d), k_norm_w(d), key_cache,
// value_cache, row_offsets, slots, start_pos] -> [q(T,h*d)].
//
// One block per token; its 4 warps take the token's h + 2*kvh heads in turn
// (q heads, then k heads, then v heads). A lane holds the rotation pairs
// (j, j + d/2) for j = lane, lane + 32, ..., so the NeoX rotate-half needs no
// exchange between lanes: q and k heads get rms_norm (a warp sum of squares,
// x * inv_rms * w in the CPU reference's order) and RoPE at the token's
// position; q heads go to the output, k and v heads to row `position` of the
// slot's caches. The RoPE inverse frequencies are a table computed on the
// host in double, like the CPU device's angles.
//
// Grid: x = T.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/EmitterSupport.h"
#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/SequenceInputs.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

constexpr int64_t kWarps = 4;

constexpr llvm::StringLiteral kTemplate =
#include "kernels/qk_norm_rope_cache.inc"
    ;

constexpr llvm::StringLiteral kStore = R"(#pragma unroll
      for (int m = 0; m < kPairsPerLane; ++m) {
        const int j = lane + 32 * m;
        if (j >= kHalf) continue;
        lfm_from_float(dst[j], a[m]);
        lfm_from_float(dst[j + kHalf], b[m]);
      })";

} // namespace

llvm::Expected<KernelSource> emitQkNormRopeCache(const EmitContext &ctx) {
  if (llvm::Error err = expectArity(ctx, 8, 1))
    return std::move(err);
  llvm::Expected<HeadShape> shape = headShape(ctx);
  if (!shape)
    return shape.takeError();
  llvm::Expected<double> eps = floatAttr(ctx, ::lfm::FloatAttr::kEps);
  if (!eps)
    return eps.takeError();
  llvm::Expected<double> theta = floatAttr(ctx, ::lfm::FloatAttr::kTheta);
  if (!theta)
    return theta.takeError();
  const int64_t d = shape->headDim;
  if (d % 2 != 0)
    return emitError(ctx, "head_dim must be even");
  if (!(*theta > 0))
    return emitError(ctx, "theta must be positive");

  const Launch &launch = ctx.launch;
  BufferDesc qkv = describeBuffer(ctx.plan, launch.operands[0]);
  BufferDesc qNorm = describeBuffer(ctx.plan, launch.operands[1]);
  BufferDesc kNorm = describeBuffer(ctx.plan, launch.operands[2]);
  BufferDesc keys = describeBuffer(ctx.plan, launch.operands[3]);
  BufferDesc values = describeBuffer(ctx.plan, launch.operands[4]);
  BufferDesc q = describeBuffer(ctx.plan, launch.results[0]);
  if (qkv.rows != RowSpace::kTokens || q.rows != RowSpace::kTokens)
    return emitError(ctx, "input and result must have token rows");
  if (qkv.width != (shape->heads + 2 * shape->kvHeads) * d || q.width != shape->heads * d)
    return emitError(ctx, "the qkv input or the result has the wrong width");
  if (qNorm.width != d || kNorm.width != d)
    return emitError(ctx, "the norm weights must have head_dim values");
  if (keys.ref.kind != BufferRef::kKeyCache ||
      values.ref.kind != BufferRef::kValueCache || keys.width != shape->kvHeads * d ||
      values.width != shape->kvHeads * d)
    return emitError(ctx,
                     "operands 3 and 4 must be the layer's K and V caches");

  std::string bind = bindBuffer("qkv", qkv, 0, false) +
                     bindBuffer("q_norm_w", qNorm, 1, false) +
                     bindBuffer("k_norm_w", kNorm, 2, false) +
                     bindBuffer("key_cache", keys, 3, true) +
                     bindBuffer("value_cache", values, 4, true);
  llvm::Expected<std::string> sequenceInputs = bindSequenceInputs(ctx, 5);
  if (!sequenceInputs)
    return sequenceInputs.takeError();
  bind += *sequenceInputs;
  bind += bindBuffer("q_out", q, 8, true);

  std::vector<std::pair<std::string, std::string>> vars = {
      {"TABLE", ropeFrequencyTable(ctx.entryPoint + "_inv_freq", d, *theta)},
      {"ENTRY", ctx.entryPoint},
      {"HEADS", std::to_string(shape->heads)},
      {"KV_HEADS", std::to_string(shape->kvHeads)},
      {"D", std::to_string(d)},
      {"PPL", std::to_string(llvm::divideCeil(d / 2, 32))},
      {"EPS", floatLiteral(*eps)},
      {"WARPS", std::to_string(kWarps)},
      {"BIND", bind},
      {"QKVTYPE", storageType(qkv.dtype).str()},
      {"QTYPE", storageType(q.dtype).str()},
      {"KTYPE", storageType(keys.dtype).str()},
      {"VTYPE", storageType(values.dtype).str()},
      {"STORE", kStore.str()},
  };
  KernelSource source;
  source.body = fillTemplate(kTemplate, vars);
  source.geometry = affineGeometry(static_cast<int32_t>(32 * kWarps),
                                   AffineTerm::rows(RowSpace::kTokens));
  return source;
}

} // namespace mlir::lfm::cuda
