// attention [q(T, h*d), key_cache, value_cache, row_offsets, slots, start_pos]
// -> [y(T, h*d)]: causal grouped-query attention over the slot's cache. A
// token at position p attends to cache rows 0..p (rows written this step by
// kv_cache_write or qk_norm_rope_cache included); head j reads kv head
// j / (heads / kv_heads). Parallel over (token, head).
#include "CpuOps.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "RowMath.h"

namespace lfm::cpu {

void runAttention(const OpContext &ctx, const StepContext &step) {
  const Tensor &q = ctx.operands[0];
  const Tensor &key_cache = ctx.operands[1];
  const Tensor &value_cache = ctx.operands[2];
  const Tensor &y = ctx.results[0];
  const int64_t heads = ctx.launch.attr(IntAttr::kHeads, 1);
  const int64_t group = heads / ctx.launch.attr(IntAttr::kKvHeads, 1);
  const int64_t d = ctx.launch.attr(IntAttr::kHeadDim, 1);
  const float scale = static_cast<float>(ctx.launch.attr(FloatAttr::kScale, 1.0));

  step.pool->parallelFor(step.tokens * heads, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> qh(d), kv(d), out(d), scores;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / heads;
      const int64_t h = task % heads;
      const int64_t kv_col = (h / group) * d;
      const int64_t pos = step.pos_of_token[t];
      const int64_t base = step.inputs.slots[step.seq_of_token[t]] * key_cache.rows_per_slot;
      q.load(t, h * d, d, qh.data());

      scores.resize(pos + 1);
      float max_score = -INFINITY;
      for (int64_t j = 0; j <= pos; ++j) {
        key_cache.load(base + j, kv_col, d, kv.data());
        scores[j] = dot(qh.data(), kv.data(), d) * scale;
        max_score = std::max(max_score, scores[j]);
      }
      float total = 0.0f;
      for (float &s : scores) {
        s = std::exp(s - max_score);
        total += s;
      }
      std::fill(out.begin(), out.end(), 0.0f);
      for (int64_t j = 0; j <= pos; ++j) {
        value_cache.load(base + j, kv_col, d, kv.data());
        const float p = scores[j] / total;
        for (int64_t i = 0; i < d; ++i) out[i] += p * kv[i];
      }
      y.store(t, h * d, d, out.data());
    }
  });
}

}  // namespace lfm::cpu
