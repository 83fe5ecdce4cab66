// The optimized attention: one task per (token, kv head) computes the
// `group` query heads that share the kv head together, so each cache row is
// loaded once for all of them. Scores are dot tiles (DotKernels.h, float32
// x: q is not rounded), softmax as the reference does it, and the weighted
// sum of values row by row in cache order. Every element's arithmetic
// depends only on its own token's q and its sequence's cache: batch
// invariant.
#include <algorithm>
#include <cmath>

#include "DotKernels.h"
#include "FastOps.h"

namespace lfm::cpu {

void runFastAttention(const OpContext &ctx, const StepContext &step) {
  const Tensor &q = ctx.operands[0];
  const Tensor &key_cache = ctx.operands[1];
  const Tensor &value_cache = ctx.operands[2];
  const Tensor &y = ctx.results[0];
  const int64_t heads = ctx.launch.attr(IntAttr::kHeads, 1);
  const int64_t kv_heads = ctx.launch.attr(IntAttr::kKvHeads, 1);
  const int64_t group = heads / kv_heads;
  const int64_t d = ctx.launch.attr(IntAttr::kHeadDim, 1);
  const float scale = static_cast<float>(ctx.launch.attr(FloatAttr::kScale, 1.0));
  const DotKernel kernel = selectDotKernel(step.isa, key_cache.dtype, /*f32_x=*/true);

  step.pool->parallelFor(step.tokens * kv_heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / kv_heads;
      const int64_t kvh = task % kv_heads;
      const int64_t kv_col = kvh * d;
      const int64_t pos = step.pos_of_token[t];
      const int64_t len = pos + 1;
      const int64_t base = step.inputs.slots[step.seq_of_token[t]] * key_cache.rows_per_slot;
      float *qh = threadScratch(kAttnQuery, group * d);
      float *scores = threadScratch(kAttnScores, group * len);
      float *v = threadScratch(kAttnValue, d);
      float *out = threadScratch(kAttnOut, group * d);
      q.load(t, kvh * group * d, group * d, qh);
      kernel.tile(qh, d, group, key_cache.at(base, kv_col), key_cache.width, d, 0, len, scores,
                  len);
      for (int64_t g = 0; g < group; ++g) {
        float *s = scores + g * len;
        float max_score = -INFINITY;
        for (int64_t j = 0; j < len; ++j) {
          s[j] *= scale;
          max_score = std::max(max_score, s[j]);
        }
        float total = 0.0f;
        for (int64_t j = 0; j < len; ++j) {
          s[j] = std::exp(s[j] - max_score);
          total += s[j];
        }
        for (int64_t j = 0; j < len; ++j) s[j] /= total;
      }
      std::fill(out, out + group * d, 0.0f);
      for (int64_t j = 0; j < len; ++j) {
        value_cache.load(base + j, kv_col, d, v);
        for (int64_t g = 0; g < group; ++g) {
          const float p = scores[g * len + j];
          float *o = out + g * d;
          for (int64_t i = 0; i < d; ++i) o[i] += p * v[i];
        }
      }
      y.store(t, kvh * group * d, group * d, out);
    }
  });
}

}  // namespace lfm::cpu
