//===- ShortConvEmitter.cpp - short_conv and gated_short_conv -------------===//
//
// The causal depthwise conv over each sequence of a ragged batch, with the
// history in the slot's conv state ([slots][L-1][hidden], oldest row first):
//
//   short_conv:       y[t, c] = sum_k w[c, k] * u[t - (L-1) + k, c], u = x
//   gated_short_conv: the same with u = B * X, then y *= C (bcx = B|C|X)
//
// A block owns one sequence and 64 channels; its 256 threads are 4 token
// lanes of 64 channels (consecutive threads = consecutive channels, so every
// row access coalesces). Lane j computes the sequence's tokens j, j+4, ...
// each from its L inputs: inputs of this chunk come from x (for the gated
// form B*X is recomputed, it costs one multiply), earlier ones from the
// state, and positions before 0 read as zero. Every input is rounded to the
// state's dtype first, exactly as the state will hold it, so a prompt fed
// whole, in chunks or token by token gives the same outputs (as on the CPU
// device). After a barrier (all of the block's state reads are done; no
// other block touches these channels of this slot), lane 0 writes the last
// L-1 inputs back in order: new row k is input n-(L-1)+k, which for a chunk
// shorter than L-1 is old row n+k, read before it is overwritten.
//
// Grid: x = ceil(hidden / 64), y = N (sequences).
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

constexpr int64_t kChannelsPerBlock = 64;
constexpr int64_t kTokenLanes = 4;

constexpr llvm::StringLiteral kConvTemplate =
#include "kernels/short_conv.inc"
    ;

llvm::Expected<KernelSource> emitConv(const EmitContext &ctx, bool gated) {
  if (llvm::Error err = expectArity(ctx, 6, 1))
    return std::move(err);
  const Launch &launch = ctx.launch;
  BufferDesc x = describeBuffer(ctx.plan, launch.operands[0]);
  BufferDesc w = describeBuffer(ctx.plan, launch.operands[1]);
  BufferDesc state = describeBuffer(ctx.plan, launch.operands[2]);
  BufferDesc y = describeBuffer(ctx.plan, launch.results[0]);
  const int64_t hidden = y.width;
  const int64_t taps = w.width;
  if (x.rows != RowSpace::kTokens || y.rows != RowSpace::kTokens)
    return emitError(ctx, "input and result must have token rows");
  if (x.width != (gated ? 3 : 1) * hidden)
    return emitError(ctx, llvm::formatv("the input is {0} wide, expected {1}",
                                        x.width, (gated ? 3 : 1) * hidden));
  if (w.ref.kind != BufferRef::kWeight || taps < 1 ||
      ctx.plan.weights[w.ref.index].shape.size() != 2 ||
      ctx.plan.weights[w.ref.index].shape[0] != hidden)
    return emitError(ctx, "the conv weight must be [hidden, kernel]");
  if (state.ref.kind != BufferRef::kConvState || state.width != hidden ||
      state.rowsPerSlot != taps - 1)
    return emitError(ctx,
                     "operand 2 must be a [kernel - 1, hidden] conv state");

  std::string bind = bindBuffer("x", x, 0, false) +
                     bindBuffer("weight", w, 1, false) +
                     bindBuffer("state", state, 2, true);
  llvm::Expected<std::string> sequenceInputs = bindSequenceInputs(ctx, 3);
  if (!sequenceInputs)
    return sequenceInputs.takeError();
  bind += *sequenceInputs;
  bind += bindBuffer("y", y, 6, true);

  std::vector<std::pair<std::string, std::string>> vars = {
      {"OP", gated ? "gated_short_conv (y = C * conv(B * X))" : "short_conv"},
      {"ENTRY", ctx.entryPoint},
      {"H", std::to_string(hidden)},
      {"L", std::to_string(taps)},
      {"HIST", std::to_string(taps - 1)},
      {"INW", std::to_string(x.width)},
      {"CPB", std::to_string(kChannelsPerBlock)},
      {"LANES", std::to_string(kTokenLanes)},
      {"STYPE", storageType(state.dtype).str()},
      {"BIND", bind},
      // B = columns [0, H), C = [H, 2H), X = [2H, 3H).
      {"INPUT", gated ? "lfm_to_float(x[row + c]) * "
                        "lfm_to_float(x[row + 2 * kHidden + c])"
                      : "lfm_to_float(x[row + c])"},
      {"OUTPUT",
       gated ? "acc * lfm_to_float(x[row * kInWidth + kHidden + c])" : "acc"},
  };
  KernelSource source;
  source.body = fillTemplate(kConvTemplate, vars);
  source.geometry = affineGeometry(
      static_cast<int32_t>(kChannelsPerBlock * kTokenLanes),
      AffineTerm{
          0, 0, 0, 0,
          static_cast<int64_t>(llvm::divideCeil(hidden, kChannelsPerBlock)), 1},
      AffineTerm{0, 1, 0, 0, 0, 1});
  return source;
}

} // namespace

llvm::Expected<KernelSource> emitShortConv(const EmitContext &ctx) {
  return emitConv(ctx, /*gated=*/false);
}

llvm::Expected<KernelSource> emitGatedShortConv(const EmitContext &ctx) {
  return emitConv(ctx, /*gated=*/true);
}

} // namespace mlir::lfm::cuda
