// embedding [tokens, table W(V,H)] -> [y(T,H)]: y[t] = W[tokens[t]].
#include "CpuOps.h"

#include <vector>

namespace lfm::cpu {

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
