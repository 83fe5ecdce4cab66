// The optimized attention: one task per token and run of kv heads computes
// every query head of that run, the `group` query heads that share a kv head
// together, so each cache row is loaded once for all of them. Scores are dot
// tiles (DotKernels.h, float32 x: q is not rounded), the softmax's exp and
// the weighted sum of value rows in cache order are the row kernels
// (RowKernels.h). Every element's arithmetic depends only on its own
// token's q and its sequence's cache: batch invariant.
//
// Memory order: a head's piece of a cache row is short (64 bf16 = 2 lines)
// and rows are a whole row of kv heads apart, so one head at a time reads
// memory in scattered pairs of lines that the hardware does not fetch ahead
// (about 60 ns a row on an AVX2 EPYC). A task takes a run of heads instead
// (all of them when the step has tokens enough for the threads) and asks for
// the run's contiguous piece of the rows a block ahead of its use.
#include <algorithm>
#include <cmath>

#include "DotKernels.h"
#include "FastOps.h"
#include "RowKernels.h"

namespace lfm::cpu {
namespace {

constexpr int64_t kRowBlock = 16;  // cache rows per block of the scores

// Asks for columns [col, col + n) of rows [r0, r1) of `cache`, a contiguous
// piece of each row.
void prefetchRows(const Tensor &cache, int64_t r0, int64_t r1, int64_t col, int64_t n) {
  prefetchRowBytes(cache.at(0, col), cache.rowBytes(), r0, r1, n * dtypeSize(cache.dtype));
}

}  // namespace

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
  const RowKernels rk = selectRowKernels(step.isa);
  // Runs of kv heads per token: enough tasks for two per thread.
  const int64_t threads = step.pool->threads();
  const int64_t runs =
      std::min(kv_heads, std::max<int64_t>(1, (2 * threads + step.tokens - 1) / step.tokens));

  step.pool->parallelFor(step.tokens * runs, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / runs;
      const int64_t h0 = task % runs * kv_heads / runs;
      const int64_t h1 = (task % runs + 1) * kv_heads / runs;
      const int64_t nh = h1 - h0;
      const int64_t pos = step.pos_of_token[t];
      const int64_t len = pos + 1;
      const int64_t base = step.inputs.slots[step.seq_of_token[t]] * key_cache.rows_per_slot;
      float *qh = threadScratch(kAttnQuery, nh * group * d);
      float *scores = threadScratch(kAttnScores, nh * group * len);
      float *out = threadScratch(kAttnOut, nh * group * d);
      q.load(t, h0 * group * d, nh * group * d, qh);
      // scores[h][g][j] for the run's heads, a block of rows at a time.
      prefetchRows(key_cache, base, base + std::min(len, kRowBlock), h0 * d, nh * d);
      for (int64_t j0 = 0; j0 < len; j0 += kRowBlock) {
        const int64_t j1 = std::min(len, j0 + kRowBlock);
        const int64_t ahead = std::min(len, j1 + kRowBlock) - j1;
        for (int64_t h = 0; h < nh; ++h) {
          // The next block, spread over the heads (a burst of requests
          // stalls on the few lines the core can have in flight).
          prefetchRows(key_cache, base + j1 + h * ahead / nh, base + j1 + (h + 1) * ahead / nh,
                       h0 * d, nh * d);
          kernel.tile(qh + h * group * d, d, group, key_cache.at(base, (h0 + h) * d),
                      key_cache.width, d, j0, j1, scores + h * group * len + j0, len);
        }
      }
      for (int64_t g = 0; g < nh * group; ++g) {
        float *s = scores + g * len;
        float max_score = -INFINITY;
        for (int64_t j = 0; j < len; ++j) {
          s[j] *= scale;
          max_score = std::max(max_score, s[j]);
        }
        rk.exp_shift(s, len, max_score);
        float total = 0.0f;
        for (int64_t j = 0; j < len; ++j) total += s[j];
        for (int64_t j = 0; j < len; ++j) s[j] /= total;
      }
      rk.value_sum(scores, len, nh, group, len, value_cache.at(base, h0 * d),
                   value_cache.rowBytes(), value_cache.dtype, d, out);
      y.store(t, h0 * group * d, nh * group * d, out);
    }
  });
}

}  // namespace lfm::cpu
