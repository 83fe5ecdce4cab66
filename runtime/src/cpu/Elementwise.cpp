// add, mul [a, b] -> [y] and silu [x] -> [y]: elementwise over rows of equal
// shape.
#include "CpuOps.h"

#include <vector>

#include "RowMath.h"

namespace lfm::cpu {
namespace {

// y = f(a, b) row by row.
template <typename F>
void runBinary(const OpContext &ctx, const StepContext &step, F f) {
  const Tensor &a = ctx.operands[0];
  const Tensor &b = ctx.operands[1];
  const Tensor &y = ctx.results[0];
  step.pool->parallelFor(y.rows, rowGrain(y.width), [&](int64_t begin, int64_t end) {
    std::vector<float> ra(y.width), rb(y.width);
    for (int64_t r = begin; r < end; ++r) {
      a.loadRow(r, ra.data());
      b.loadRow(r, rb.data());
      for (int64_t i = 0; i < y.width; ++i) ra[i] = f(ra[i], rb[i]);
      y.storeRow(r, ra.data());
    }
  });
}

}  // namespace

void runAdd(const OpContext &ctx, const StepContext &step) {
  runBinary(ctx, step, [](float a, float b) { return a + b; });
}

void runMul(const OpContext &ctx, const StepContext &step) {
  runBinary(ctx, step, [](float a, float b) { return a * b; });
}

void runSilu(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &y = ctx.results[0];
  step.pool->parallelFor(y.rows, rowGrain(y.width), [&](int64_t begin, int64_t end) {
    std::vector<float> row(y.width);
    for (int64_t r = begin; r < end; ++r) {
      x.loadRow(r, row.data());
      for (float &v : row) v = silu(v);
      y.storeRow(r, row.data());
    }
  });
}

}  // namespace lfm::cpu
