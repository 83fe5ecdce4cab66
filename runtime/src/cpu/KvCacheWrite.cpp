// kv_cache_write [k, v, key_cache, value_cache, row_offsets, slots, start_pos]
// -> []: each token's k and v rows go to row `position` of its slot's caches.
#include "CpuOps.h"

#include <vector>

namespace lfm::cpu {

void runKvCacheWrite(const OpContext &ctx, const StepContext &step) {
  const Tensor &k = ctx.operands[0];
  const Tensor &v = ctx.operands[1];
  const Tensor &key_cache = ctx.operands[2];
  const Tensor &value_cache = ctx.operands[3];
  step.pool->parallelFor(step.tokens, rowGrain(k.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(k.width);
    for (int64_t t = begin; t < end; ++t) {
      int64_t slot = step.inputs.slots[step.seq_of_token[t]];
      int64_t cache_row = slot * key_cache.rows_per_slot + step.pos_of_token[t];
      k.loadRow(t, row.data());
      key_cache.storeRow(cache_row, row.data());
      v.loadRow(t, row.data());
      value_cache.storeRow(cache_row, row.data());
    }
  });
}

}  // namespace lfm::cpu
