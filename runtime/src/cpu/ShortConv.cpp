// short_conv [x(T,H), w(H,L), conv_state, row_offsets, slots, start_pos] -> [y]
// and gated_short_conv [bcx(T,3H), ...] -> [y]: y = C * short_conv(B * X).
//
// The causal depthwise conv of each sequence runs over u = (the L-1 inputs
// before this chunk, from the slot's state) ++ (this chunk's inputs), so a
// prompt fed whole, in chunks or token by token gives the same outputs; the
// last L-1 rows of u become the slot's new state. Positions before 0 read as
// zero whatever the state holds (a fresh slot's state is never read).
// Parallel over (sequence, block of channels): channels are independent.
#include "CpuOps.h"

#include <algorithm>
#include <vector>

namespace lfm::cpu {
namespace {

constexpr int64_t kChannelBlock = 64;

// One (sequence, channel block) of either op. `gated`: x is B|C|X.
void convBlock(const OpContext &ctx, const StepContext &step, bool gated, int64_t seq,
               int64_t c0, int64_t c1, const std::vector<float> &weight) {
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

  // u: hist + n rows of cb channels.
  std::vector<float> u((hist + n) * cb, 0.0f);
  for (int64_t k = 0; k < hist; ++k) {
    if (start - hist + k >= 0) state.load(slot_row + k, c0, cb, &u[k * cb]);
  }
  std::vector<float> b(cb), c_gate(n * cb);
  for (int64_t t = 0; t < n; ++t) {
    float *ut = &u[(hist + t) * cb];
    if (gated) {
      x.load(begin + t, c0, cb, b.data());
      x.load(begin + t, hidden + c0, cb, &c_gate[t * cb]);
      x.load(begin + t, 2 * hidden + c0, cb, ut);
      for (int64_t c = 0; c < cb; ++c) ut[c] *= b[c];
    } else {
      x.load(begin + t, c0, cb, ut);
    }
    // Current inputs are used as the state will hold them, so a later chunk
    // sees the same history this one does.
    roundToDType(ut, cb, state.dtype);
  }

  std::vector<float> out(cb);
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t c = 0; c < cb; ++c) {
      const float *wc = &weight[(c0 + c) * kernel];
      float acc = 0.0f;
      for (int64_t k = 0; k < kernel; ++k) acc += wc[k] * u[(t + k) * cb + c];
      out[c] = gated ? acc * c_gate[t * cb + c] : acc;
    }
    y.store(begin + t, c0, cb, out.data());
  }
  for (int64_t k = 0; k < hist; ++k) state.store(slot_row + k, c0, cb, &u[(n + k) * cb]);
}

void runConv(const OpContext &ctx, const StepContext &step, bool gated) {
  const int64_t hidden = ctx.results[0].width;
  const int64_t blocks = (hidden + kChannelBlock - 1) / kChannelBlock;
  const std::vector<float> weight = loadAll(ctx.operands[1]);
  step.pool->parallelFor(step.sequences() * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      int64_t c0 = (task % blocks) * kChannelBlock;
      convBlock(ctx, step, gated, task / blocks, c0, std::min(hidden, c0 + kChannelBlock),
                weight);
    }
  });
}

}  // namespace


void runShortConv(const OpContext &ctx, const StepContext &step) { runConv(ctx, step, false); }
void runGatedShortConv(const OpContext &ctx, const StepContext &step) {
  runConv(ctx, step, true);
}

}  // namespace lfm::cpu
