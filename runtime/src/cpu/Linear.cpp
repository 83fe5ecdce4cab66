// linear [x(rows,K), W(N,K), (norm_w), (residual)] -> [y]: y = x . W^T with an
// optional rms_norm prologue on x and an epilogue (residual add or SwiGLU).
//
// Three phases, each parallel: x to float32 (normalized), the products into a
// float32 [rows][N] scratch (over blocks of output columns, so each weight
// row is converted once and reused for every row of x), and the epilogue
// into y. Working from float copies makes it safe for y to share memory with
// x or the residual (an in-place residual add).
#include "CpuOps.h"

#include <algorithm>
#include <vector>

#include "RowMath.h"

namespace lfm::cpu {
namespace {

// Output columns per parallel chunk: the weight rows of a chunk stay in cache
// while every row of x passes over them.
constexpr int64_t kColumnBlock = 16;

}  // namespace

void runLinear(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &w = ctx.operands[1];
  const Tensor &y = ctx.results[0];
  const bool prologue_norm = ctx.launch.attr(IntAttr::kPrologueNorm, 0) != 0;
  const auto epilogue = static_cast<LinearEpilogue>(ctx.launch.attr(IntAttr::kEpilogue));
  const int64_t rows = x.rows;
  const int64_t k = w.width;
  const int64_t n = w.rows;
  ThreadPool &pool = *step.pool;

  std::vector<float> xf(rows * k);
  std::vector<float> norm_w;
  if (prologue_norm) norm_w = loadAll(ctx.operands[2]);
  const float eps = static_cast<float>(ctx.launch.attr(FloatAttr::kEps, 0.0));
  pool.parallelFor(rows, rowGrain(k), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      x.loadRow(r, &xf[r * k]);
      if (prologue_norm) rmsNormGroups(&xf[r * k], k, k, norm_w.data(), eps);
    }
  });

  std::vector<float> out(rows * n);
  pool.parallelFor(n, kColumnBlock, [&](int64_t begin, int64_t end) {
    std::vector<float> wf((end - begin) * k);
    for (int64_t c = begin; c < end; ++c) w.loadRow(c, &wf[(c - begin) * k]);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = begin; c < end; ++c) {
        out[r * n + c] = dot(&xf[r * k], &wf[(c - begin) * k], k);
      }
    }
  });

  pool.parallelFor(rows, rowGrain(n), [&](int64_t begin, int64_t end) {
    std::vector<float> res(y.width);
    for (int64_t r = begin; r < end; ++r) {
      float *o = &out[r * n];
      if (epilogue == LinearEpilogue::kResidual) {
        ctx.operands.back().loadRow(r, res.data());
        for (int64_t c = 0; c < y.width; ++c) o[c] += res[c];
      } else if (epilogue == LinearEpilogue::kSwiglu) {
        // W1 rows first, then W3: y = silu(x W1^T) * (x W3^T).
        for (int64_t c = 0; c < y.width; ++c) o[c] = silu(o[c]) * o[y.width + c];
      }
      y.storeRow(r, o);
    }
  });
}

}  // namespace lfm::cpu
