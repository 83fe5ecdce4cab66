// rope [x(T, n*head_dim), row_offsets, start_pos] -> [y]: NeoX rotate-half
// RoPE of every head of each token at the token's position in its sequence.
#include "CpuOps.h"

#include <vector>

#include "RowMath.h"

namespace lfm::cpu {

void runRope(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  const int64_t head_dim = ctx.launch.attr(IntAttr::kHeadDim, 2);
  const double theta = ctx.launch.attr(FloatAttr::kTheta, 1.0);
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
