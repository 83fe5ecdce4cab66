// The optimized row-wise ops of the fused plan that the reference writes
// with a vector per chunk: embedding, gather_rows and qk_norm_rope_cache,
// with the same row math (RowMath.h) on per-thread scratch, so that a decode
// step allocates nothing. Rows are independent: batch invariant.
#include "FastOps.h"
#include "RowMath.h"

namespace lfm::cpu {

void runFastEmbedding(const OpContext &ctx, const StepContext &step) {
  const Tensor &table = ctx.operands[1];
  const Tensor &y = ctx.results[0];
  step.pool->parallelFor(step.tokens, rowGrain(y.width), [&](int64_t begin, int64_t end) {
    float *row = threadScratch(kRowA, y.width);
    for (int64_t t = begin; t < end; ++t) {
      table.loadRow(step.inputs.tokens[t], row);
      y.storeRow(t, row);
    }
  });
}

void runFastGatherRows(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  step.pool->parallelFor(y.rows, rowGrain(y.width), [&](int64_t begin, int64_t end) {
    float *row = threadScratch(kRowA, y.width);
    for (int64_t r = begin; r < end; ++r) {
      x.loadRow(step.inputs.logit_rows[r], row);
      y.storeRow(r, row);
    }
  });
}

void runFastQkNormRopeCache(const OpContext &ctx, const StepContext &step) {
  const Tensor &qkv = ctx.operands[0];
  const Tensor &key_cache = ctx.operands[3];
  const Tensor &value_cache = ctx.operands[4];
  const Tensor &q_out = ctx.results[0];
  const int64_t d = ctx.launch.attr(IntAttr::kHeadDim, 2);
  const int64_t q_width = q_out.width;
  const int64_t kv_width = key_cache.width;
  const float eps = static_cast<float>(ctx.launch.attr(FloatAttr::kEps, 0.0));
  const double theta = ctx.launch.attr(FloatAttr::kTheta, 1.0);
  float *q_norm = step.workspace->floats(kQNormWeights, d);
  float *k_norm = step.workspace->floats(kKNormWeights, d);
  ctx.operands[1].load(0, 0, d, q_norm);
  ctx.operands[2].load(0, 0, d, k_norm);

  step.pool->parallelFor(step.tokens, rowGrain(qkv.width), [&](int64_t begin, int64_t end) {
    float *row = threadScratch(kRowA, qkv.width);
    float *cos_a = threadScratch(kRowB, d / 2);
    float *sin_a = threadScratch(kRowC, d / 2);
    for (int64_t t = begin; t < end; ++t) {
      qkv.loadRow(t, row);
      float *q = row;
      float *k = q + q_width;
      float *v = k + kv_width;
      rmsNormGroups(q, q_width, d, q_norm, eps);
      rmsNormGroups(k, kv_width, d, k_norm, eps);
      ropeAngles(step.pos_of_token[t], d, theta, cos_a, sin_a);
      for (int64_t h = 0; h < q_width; h += d) applyRope(q + h, d, cos_a, sin_a);
      for (int64_t h = 0; h < kv_width; h += d) applyRope(k + h, d, cos_a, sin_a);
      const int64_t slot = step.inputs.slots[step.seq_of_token[t]];
      const int64_t cache_row = slot * key_cache.rows_per_slot + step.pos_of_token[t];
      q_out.storeRow(t, q);
      key_cache.storeRow(cache_row, k);
      value_cache.storeRow(cache_row, v);
    }
  });
}

}  // namespace lfm::cpu
