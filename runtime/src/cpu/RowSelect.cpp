// slice [x] -> [y] (a column range) and gather_rows [x, logit_rows] -> [y]
// (the rows whose logits are asked for).
#include "CpuOps.h"

#include <vector>

namespace lfm::cpu {

absl::Status checkSlice(const OpContext &ctx) {
  LFM_RETURN_IF_ERROR(expectArity(ctx, 1, 1));
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  LFM_RETURN_IF_ERROR(expectRowData(ctx, x, "the input"));
  LFM_RETURN_IF_ERROR(expectRowData(ctx, y, "the result"));
  LFM_RETURN_IF_ERROR(expectSameSpace(ctx, x, y));
  LFM_ASSIGN_OR_RETURN(int64_t offset, intAttr(ctx, "offset"));
  if (offset < 0 || offset > x.width || y.width > x.width - offset) {
    return opError(ctx, "columns [offset, offset + result width) are not within the input");
  }
  return absl::OkStatus();
}

void runSlice(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  int64_t offset = intAttrOr(ctx.launch, "offset", 0);
  step.pool->parallelFor(y.rows, rowGrain(y.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(y.width);
    for (int64_t r = begin; r < end; ++r) {
      x.load(r, offset, y.width, row.data());
      y.storeRow(r, row.data());
    }
  });
}

absl::Status checkGatherRows(const OpContext &ctx) {
  LFM_RETURN_IF_ERROR(expectArity(ctx, 2, 1));
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  LFM_RETURN_IF_ERROR(expectRowData(ctx, x, "the input"));
  LFM_RETURN_IF_ERROR(expectInput(ctx, ctx.operands[1], InputId::kLogitRows));
  LFM_RETURN_IF_ERROR(expectRowData(ctx, y, "the result"));
  if (x.space != RowSpace::kTokens || y.space != RowSpace::kLogitRows) {
    return opError(ctx, "gathers from token rows into logit rows");
  }
  return expectWidth(ctx, y, x.width, "the result");
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
