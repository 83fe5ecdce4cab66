// rms_norm [x, w] -> [y] and add_rms_norm [x, residual, w] -> [normed, sum].
#include "CpuOps.h"

#include <vector>

#include "RowMath.h"

namespace lfm::cpu {
namespace {

// Checks x -> y of the same shape normalized in groups with weight w.
absl::Status checkNormShapes(const OpContext &ctx, const Tensor &x, const Tensor &w,
                             const Tensor &y, int64_t group) {
  LFM_RETURN_IF_ERROR(expectRowData(ctx, x, "the input"));
  LFM_RETURN_IF_ERROR(expectRowData(ctx, y, "the result"));
  LFM_RETURN_IF_ERROR(expectSameSpace(ctx, x, y));
  LFM_RETURN_IF_ERROR(expectWidth(ctx, y, x.width, "the result"));
  if (group <= 0 || x.width % group != 0) {
    return opError(ctx, "group must divide the width");
  }
  LFM_RETURN_IF_ERROR(expectVector(ctx, w, group, "the norm weight"));
  return floatAttr(ctx, "eps").status();
}

}  // namespace

absl::Status checkRmsNorm(const OpContext &ctx) {
  LFM_RETURN_IF_ERROR(expectArity(ctx, 2, 1));
  LFM_ASSIGN_OR_RETURN(int64_t group, intAttr(ctx, "group", ctx.operands[0].width));
  return checkNormShapes(ctx, ctx.operands[0], ctx.operands[1], ctx.results[0], group);
}

void runRmsNorm(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  int64_t group = intAttrOr(ctx.launch, "group", x.width);
  float eps = static_cast<float>(floatAttrOr(ctx.launch, "eps", 0.0));
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

absl::Status checkAddRmsNorm(const OpContext &ctx) {
  LFM_RETURN_IF_ERROR(expectArity(ctx, 3, 2));
  const Tensor &x = ctx.operands[0];
  const Tensor &residual = ctx.operands[1];
  const Tensor &sum = ctx.results[1];
  LFM_RETURN_IF_ERROR(checkNormShapes(ctx, x, ctx.operands[2], ctx.results[0], x.width));
  for (const Tensor *t : {&residual, &sum}) {
    LFM_RETURN_IF_ERROR(expectRowData(ctx, *t, "the residual and the sum"));
    LFM_RETURN_IF_ERROR(expectSameSpace(ctx, x, *t));
    LFM_RETURN_IF_ERROR(expectWidth(ctx, *t, x.width, "the residual and the sum"));
  }
  return absl::OkStatus();
}

void runAddRmsNorm(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &residual = ctx.operands[1];
  const Tensor &normed = ctx.results[0];
  const Tensor &sum = ctx.results[1];
  float eps = static_cast<float>(floatAttrOr(ctx.launch, "eps", 0.0));
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
