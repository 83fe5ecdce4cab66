// slice [x] -> [y] (a column range) and gather_rows [x, logit_rows] -> [y]
// (the rows whose logits are asked for).
#include "CpuOps.h"

#include <vector>

namespace lfm::cpu {

void runSlice(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  int64_t offset = ctx.launch.attr(IntAttr::kOffset, 0);
  step.pool->parallelFor(y.rows, rowGrain(y.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(y.width);
    for (int64_t r = begin; r < end; ++r) {
      x.load(r, offset, y.width, row.data());
      y.storeRow(r, row.data());
    }
  });
}

void runGatherRows(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  step.pool->parallelFor(y.rows, rowGrain(y.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(y.width);
    for (int64_t r = begin; r < end; ++r) {
      x.loadRow(step.inputs.logit_rows[r], row.data());
      y.storeRow(r, row.data());
    }
  });
}

}  // namespace lfm::cpu
