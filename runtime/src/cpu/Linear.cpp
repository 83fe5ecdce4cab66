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

enum Epilogue : int64_t { kNone = 0, kResidual = 1, kSwiGlu = 2 };

// Output columns per parallel chunk: the weight rows of a chunk stay in cache
// while every row of x passes over them.
constexpr int64_t kColumnBlock = 16;

}  // namespace

absl::Status checkLinear(const OpContext &ctx) {
  LFM_ASSIGN_OR_RETURN(int64_t prologue_norm, intAttr(ctx, "prologue_norm", 0));
  LFM_ASSIGN_OR_RETURN(int64_t epilogue, intAttr(ctx, "epilogue", kNone));
  if (prologue_norm != 0 && prologue_norm != 1) return opError(ctx, "prologue_norm must be 0 or 1");
  if (epilogue < kNone || epilogue > kSwiGlu) return opError(ctx, "epilogue must be 0, 1 or 2");
  size_t operands = 2 + (prologue_norm ? 1 : 0) + (epilogue == kResidual ? 1 : 0);
  LFM_RETURN_IF_ERROR(expectArity(ctx, operands, 1));

  const Tensor &x = ctx.operands[0];
  const Tensor &w = ctx.operands[1];
  const Tensor &y = ctx.results[0];
  LFM_RETURN_IF_ERROR(expectRowData(ctx, x, "the input"));
  LFM_RETURN_IF_ERROR(expectWeight(ctx, w, "the weight"));
  LFM_RETURN_IF_ERROR(expectRowData(ctx, y, "the result"));
  LFM_RETURN_IF_ERROR(expectSameSpace(ctx, x, y));
  LFM_RETURN_IF_ERROR(expectWidth(ctx, x, w.width, "the input"));
  if (epilogue == kSwiGlu) {
    if (w.rows % 2 != 0) return opError(ctx, "a SwiGLU weight needs an even row count (W1|W3)");
    LFM_RETURN_IF_ERROR(expectWidth(ctx, y, w.rows / 2, "the SwiGLU result"));
  } else {
    LFM_RETURN_IF_ERROR(expectWidth(ctx, y, w.rows, "the result"));
  }
  size_t next = 2;
  if (prologue_norm) {
    LFM_RETURN_IF_ERROR(expectVector(ctx, ctx.operands[next++], x.width, "the norm weight"));
    LFM_RETURN_IF_ERROR(floatAttr(ctx, "eps").status());
  }
  if (epilogue == kResidual) {
    const Tensor &residual = ctx.operands[next];
    LFM_RETURN_IF_ERROR(expectRowData(ctx, residual, "the residual"));
    LFM_RETURN_IF_ERROR(expectSameSpace(ctx, residual, y));
    LFM_RETURN_IF_ERROR(expectWidth(ctx, residual, y.width, "the residual"));
  }
  return absl::OkStatus();
}

void runLinear(const OpContext &ctx, const StepContext &step) {
  const Tensor &x = ctx.operands[0];
  const Tensor &w = ctx.operands[1];
  const Tensor &y = ctx.results[0];
  const bool prologue_norm = intAttrOr(ctx.launch, "prologue_norm", 0) != 0;
  const int64_t epilogue = intAttrOr(ctx.launch, "epilogue", kNone);
  const int64_t rows = x.rows;
  const int64_t k = w.width;
  const int64_t n = w.rows;
  ThreadPool &pool = *step.pool;

  std::vector<float> xf(rows * k);
  std::vector<float> norm_w;
  if (prologue_norm) norm_w = loadAll(ctx.operands[2]);
  const float eps = static_cast<float>(floatAttrOr(ctx.launch, "eps", 0.0));
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
      if (epilogue == kResidual) {
        ctx.operands.back().loadRow(r, res.data());
        for (int64_t c = 0; c < y.width; ++c) o[c] += res[c];
      } else if (epilogue == kSwiGlu) {
        // W1 rows first, then W3: y = silu(x W1^T) * (x W3^T).
        for (int64_t c = 0; c < y.width; ++c) o[c] = silu(o[c]) * o[y.width + c];
      }
      y.storeRow(r, o);
    }
  });
}

}  // namespace lfm::cpu
