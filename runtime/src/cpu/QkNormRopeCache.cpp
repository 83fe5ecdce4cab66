// qk_norm_rope_cache [qkv(T,(h+2kvh)*d), q_norm_w(d), k_norm_w(d), key_cache,
// value_cache, row_offsets, slots, start_pos] -> [q(T,h*d)]: the fused form of
// per-head rms_norm of q and k, rope of both, kv_cache_write of k and v. It
// uses the same row math as the unfused ops, so both give the same values.
#include "CpuOps.h"

#include <vector>

#include "RowMath.h"

namespace lfm::cpu {

void runQkNormRopeCache(const OpContext &ctx, const StepContext &step) {
  const Tensor &qkv = ctx.operands[0];
  const Tensor &key_cache = ctx.operands[3];
  const Tensor &value_cache = ctx.operands[4];
  const Tensor &q_out = ctx.results[0];
  const int64_t d = ctx.launch.attr(IntAttr::kHeadDim, 2);
  const int64_t q_width = q_out.width;
  const int64_t kv_width = key_cache.width;
  const float eps = static_cast<float>(ctx.launch.attr(FloatAttr::kEps, 0.0));
  const double theta = ctx.launch.attr(FloatAttr::kTheta, 1.0);
  const std::vector<float> q_norm = loadAll(ctx.operands[1]);
  const std::vector<float> k_norm = loadAll(ctx.operands[2]);

  step.pool->parallelFor(step.tokens, rowGrain(qkv.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(qkv.width), cos_a(d / 2), sin_a(d / 2);
    for (int64_t t = begin; t < end; ++t) {
      qkv.loadRow(t, row.data());
      float *q = row.data();
      float *k = q + q_width;
      float *v = k + kv_width;
      rmsNormGroups(q, q_width, d, q_norm.data(), eps);
      rmsNormGroups(k, kv_width, d, k_norm.data(), eps);
      ropeAngles(step.pos_of_token[t], d, theta, cos_a.data(), sin_a.data());
      for (int64_t h = 0; h < q_width; h += d) applyRope(q + h, d, cos_a.data(), sin_a.data());
      for (int64_t h = 0; h < kv_width; h += d) applyRope(k + h, d, cos_a.data(), sin_a.data());

      int64_t slot = step.inputs.slots[step.seq_of_token[t]];
      int64_t cache_row = slot * key_cache.rows_per_slot + step.pos_of_token[t];
      q_out.storeRow(t, q);
      key_cache.storeRow(cache_row, k);
      value_cache.storeRow(cache_row, v);
    }
  });
}

}  // namespace lfm::cpu
