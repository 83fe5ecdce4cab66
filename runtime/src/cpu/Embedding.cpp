// embedding [tokens, table W(V,H)] -> [y(T,H)]: y[t] = W[tokens[t]].
#include "CpuOps.h"

#include <vector>

namespace lfm::cpu {

absl::Status checkEmbedding(const OpContext &ctx) {
  LFM_RETURN_IF_ERROR(expectArity(ctx, 2, 1));
  const Tensor &table = ctx.operands[1];
  const Tensor &y = ctx.results[0];
  LFM_RETURN_IF_ERROR(expectInput(ctx, ctx.operands[0], InputId::kTokens));
  LFM_RETURN_IF_ERROR(expectWeight(ctx, table, "the table"));
  LFM_RETURN_IF_ERROR(expectActivation(ctx, y, "the result"));
  if (y.space != RowSpace::kTokens) return opError(ctx, "the result must have token rows");
  // Token ids are validated against the vocabulary before a step runs; the
  // table must have a row for each of them.
  if (table.rows < ctx.plan.config.vocab_size) {
    return opError(ctx, "the table has fewer rows than the vocabulary");
  }
  return expectWidth(ctx, y, table.width, "the result");
}

void runEmbedding(const OpContext &ctx, const StepContext &step) {
  const Tensor &table = ctx.operands[1];
  const Tensor &y = ctx.results[0];
  step.pool->parallelFor(step.tokens, rowGrain(y.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(y.width);
    for (int64_t t = begin; t < end; ++t) {
      table.loadRow(step.inputs.tokens[t], row.data());
      y.storeRow(t, row.data());
    }
  });
}

}  // namespace lfm::cpu
