// rope [x(T, n*head_dim), row_offsets, start_pos] -> [y]: NeoX rotate-half
// RoPE of every head of each token at the token's position in its sequence.
#include "CpuOps.h"

#include <vector>

#include "RowMath.h"

namespace lfm::cpu {

absl::Status checkRope(const OpContext &ctx) {
  LFM_RETURN_IF_ERROR(expectArity(ctx, 3, 1));
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  LFM_RETURN_IF_ERROR(expectActivation(ctx, x, "the input"));
  LFM_RETURN_IF_ERROR(expectActivation(ctx, y, "the result"));
  if (x.space != RowSpace::kTokens || y.space != RowSpace::kTokens) {
    return opError(ctx, "input and result must have token rows");
  }
  LFM_RETURN_IF_ERROR(expectWidth(ctx, y, x.width, "the result"));
  LFM_RETURN_IF_ERROR(expectInput(ctx, ctx.operands[1], InputId::kRowOffsets));
  LFM_RETURN_IF_ERROR(expectInput(ctx, ctx.operands[2], InputId::kStartPos));
  LFM_ASSIGN_OR_RETURN(int64_t head_dim, intAttr(ctx, "head_dim"));
  if (head_dim <= 0 || head_dim % 2 != 0 || x.width % head_dim != 0) {
    return opError(ctx, "head_dim must be even and divide the width");
  }
  LFM_ASSIGN_OR_RETURN(double theta, floatAttr(ctx, "theta"));
  if (!(theta > 0)) return opError(ctx, "theta must be positive");
  return absl::OkStatus();
}

void runRope(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  const int64_t head_dim = intAttrOr(ctx.launch, "head_dim", 2);
  const double theta = floatAttrOr(ctx.launch, "theta", 1.0);
  step.pool->parallelFor(step.tokens, rowGrain(x.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(x.width), cos_a(head_dim / 2), sin_a(head_dim / 2);
    for (int64_t t = begin; t < end; ++t) {
      ropeAngles(step.pos_of_token[t], head_dim, theta, cos_a.data(), sin_a.data());
      x.loadRow(t, row.data());
      for (int64_t h = 0; h < x.width; h += head_dim) {
        applyRope(&row[h], head_dim, cos_a.data(), sin_a.data());
      }
      y.storeRow(t, row.data());
    }
  });
}

}  // namespace lfm::cpu
