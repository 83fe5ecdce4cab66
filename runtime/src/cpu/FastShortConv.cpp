// The optimized short_conv / gated_short_conv: the reference algorithm
// (ShortConv.cpp: u = state history ++ this chunk's B*X rounded as the state
// stores it; y = C * conv(u); the last L-1 rows of u become the state), with
// the conv weights transposed once per launch to [L][H] so that the inner
// loops run over contiguous channels and vectorize, per-thread scratch
// instead of allocations, and wider channel blocks. Each output element sums
// its L taps in the reference's order: the same bits as the reference, and
// independent of the rest of the step.
#include <algorithm>

#include "FastOps.h"

namespace lfm::cpu {
namespace {

constexpr int64_t kChannelBlock = 256;

void convBlock(const OpContext &ctx, const StepContext &step, bool gated, int64_t seq,
               int64_t c0, int64_t c1, const float *wt) {
  const Tensor &x = ctx.operands[0];
  const Tensor &state = ctx.operands[2];
  const Tensor &y = ctx.results[0];
  const int64_t hidden = y.width;
  const int64_t kernel = ctx.operands[1].width;
  const int64_t hist = kernel - 1;
  const int64_t cb = c1 - c0;
  const int64_t begin = step.seqBegin(seq);
  const int64_t n = step.seqEnd(seq) - begin;
  const int64_t start = step.inputs.start_pos[seq];
  const int64_t slot_row = static_cast<int64_t>(step.inputs.slots[seq]) * hist;

  float *u = threadScratch(kConvU, (hist + n) * cb);
  float *gate = threadScratch(kConvGate, n * cb);
  float *b = threadScratch(kConvB, cb);
  float *out = threadScratch(kConvOut, cb);
  for (int64_t k = 0; k < hist; ++k) {
    if (start - hist + k >= 0) {
      state.load(slot_row + k, c0, cb, u + k * cb);
    } else {
      std::fill(u + k * cb, u + (k + 1) * cb, 0.0f);
    }
  }
  for (int64_t t = 0; t < n; ++t) {
    float *ut = u + (hist + t) * cb;
    if (gated) {
      x.load(begin + t, c0, cb, b);
      x.load(begin + t, hidden + c0, cb, gate + t * cb);
      x.load(begin + t, 2 * hidden + c0, cb, ut);
      for (int64_t c = 0; c < cb; ++c) ut[c] *= b[c];
    } else {
      x.load(begin + t, c0, cb, ut);
    }
    roundToDType(ut, cb, state.dtype);
  }
  for (int64_t t = 0; t < n; ++t) {
    std::fill(out, out + cb, 0.0f);
    for (int64_t k = 0; k < kernel; ++k) {
      const float *wk = wt + k * hidden + c0;
      const float *uk = u + (t + k) * cb;
      for (int64_t c = 0; c < cb; ++c) out[c] += wk[c] * uk[c];
    }
    if (gated) {
      const float *g = gate + t * cb;
      for (int64_t c = 0; c < cb; ++c) out[c] *= g[c];
    }
    y.store(begin + t, c0, cb, out);
  }
  for (int64_t k = 0; k < hist; ++k) state.store(slot_row + k, c0, cb, u + (n + k) * cb);
}

void runConv(const OpContext &ctx, const StepContext &step, bool gated) {
  const Tensor &w = ctx.operands[1];
  const int64_t hidden = ctx.results[0].width;
  const int64_t kernel = w.width;
  // [H][L] -> [L][H], float32.
  float *wt = step.workspace->floats(kConvWeights, kernel * hidden);
  float *row = threadScratch(kConvB, kernel);
  for (int64_t c = 0; c < hidden; ++c) {
    w.loadRow(c, row);
    for (int64_t k = 0; k < kernel; ++k) wt[k * hidden + c] = row[k];
  }
  const int64_t blocks = (hidden + kChannelBlock - 1) / kChannelBlock;
  step.pool->parallelFor(step.sequences() * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t c0 = (task % blocks) * kChannelBlock;
      convBlock(ctx, step, gated, task / blocks, c0, std::min(hidden, c0 + kChannelBlock), wt);
    }
  });
}

}  // namespace

void runFastShortConv(const OpContext &ctx, const StepContext &step) { runConv(ctx, step, false); }
void runFastGatedShortConv(const OpContext &ctx, const StepContext &step) {
  runConv(ctx, step, true);
}

}  // namespace lfm::cpu
