// rms_norm [x, w] -> [y] and add_rms_norm [x, residual, w] -> [normed, sum].
#include "CpuOps.h"

#include <vector>

#include "RowMath.h"

namespace lfm::cpu {
void runRmsNorm(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  int64_t group = ctx.launch.attr(IntAttr::kGroup, x.width);
  float eps = static_cast<float>(ctx.launch.attr(FloatAttr::kEps, 0.0));
  std::vector<float> w = loadAll(ctx.operands[1]);
  step.pool->parallelFor(x.rows, rowGrain(x.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(x.width);
    for (int64_t r = begin; r < end; ++r) {
      x.loadRow(r, row.data());
      rmsNormGroups(row.data(), x.width, group, w.data(), eps);
      y.storeRow(r, row.data());
    }
  });
}

void runAddRmsNorm(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &residual = ctx.operands[1];
  const Tensor &normed = ctx.results[0];
  const Tensor &sum = ctx.results[1];
  float eps = static_cast<float>(ctx.launch.attr(FloatAttr::kEps, 0.0));
  std::vector<float> w = loadAll(ctx.operands[2]);
  step.pool->parallelFor(x.rows, rowGrain(x.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(x.width), res(x.width);
    for (int64_t r = begin; r < end; ++r) {
      x.loadRow(r, row.data());
      residual.loadRow(r, res.data());
      for (int64_t i = 0; i < x.width; ++i) row[i] += res[i];
      sum.storeRow(r, row.data());
      // Normalize the sum as stored, so the fused op equals add + rms_norm.
      roundToDType(row.data(), x.width, sum.dtype);
      rmsNormGroups(row.data(), x.width, x.width, w.data(), eps);
      normed.storeRow(r, row.data());
    }
  });
}

}  // namespace lfm::cpu
