//===- SplitKvAttentionEmitter.cpp - attention, split-KV form -------------===//
//
// The attention form for steps of few rows (decode); what it computes is in
// AttentionSpec.h.
//
// Block (token, kv head, split): the `group` q heads that share a kv head
// read each K and V row once. The block's 8 (or 4) warps split its keys into
// 32-key chunks (warp w takes chunks w, w+8, ...) and each keeps an online
// softmax (running max m, sum l, output o) per q head:
//   - scores: lane i scores key (chunk + i) against the group's q vectors,
//     held pre-loaded in shared memory, reading its K row in wide chunks;
//   - softmax update: warp max / warp sum of the chunk, rescaling o and l;
//   - values: the lanes, which own the head dims, load the chunk's V rows 8
//     at a time (coalesced, overlapping loads) and accumulate p * V row, the
//     probabilities broadcast by shuffle.
// The warps' (m, l, o) are then merged through shared memory.
//
// Split-KV (flash-decoding): grid x = T, y = kv heads, z = kSplits. In a
// step of few tokens, a token with `keys` keys splits them into ranges of
// len = ceil(keys / max_splits) rounded up to whole 32-key chunks; block z takes
// [z * len, (z + 1) * len), and blocks past the last non-empty range return
// at once (so do all z > 0 blocks of a many-token step, which does not
// split). With one range the block writes y = o / l itself. Otherwise each
// block writes its partial (o, m, l per q head) to the launch scratch,
// fences, and bumps the (token, kv head) counter there; the block that sees
// the count reach splits - 1 is the last: it combines the partials,
// m = max m_s, l = sum l_s e^(m_s - m), y = sum o_s e^(m_s - m) / l, and
// resets the counter and the partials to 0 (the scratch is zero at every
// launch, KernelAbi.h).
//
// Scratch (a constant 1 MiB or just under): int counters[kPartials / 2]
// padded to 16 bytes, then float partials[kPartials][group * (head_dim + 2)],
// partial (pair, s) at pair * max_splits + s for pair = t * kv_heads + kv
// head, each o[group][head_dim], m[group], l[group]. A step of T tokens
// splits into max_splits = min(kSplits, kPartials / (T * kv_heads)) ranges
// at most (1: no split), so both fit.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/EmitterSupport.h"
#include "codegen/cuda/emitters/AttentionSpec.h"
#include "codegen/cuda/emitters/Emitters.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace ::lfm;

namespace mlir::lfm::cuda {
namespace {

// Warps per block: 8 keep more K/V loads in flight for long decode contexts;
// 4 where the per-warp partials of a large group would not fit.
constexpr int64_t kMaxWarps = 8;
constexpr int64_t kMinWarps = 4;
constexpr int64_t kStaticSharedLimit = 48 * 1024;

// Split-KV: a step of few tokens (decode) splits each token's keys over up
// to kSplits blocks (gridDim.z), in whole 32-key chunks, so that a batch-1
// decode of a model with 8 kv heads fills 128 blocks rather than 8. The
// scratch is a constant kScratchBudget bytes (the largest constant the
// affine rule takes) holding kPartials partials; a step of T tokens splits
// into min(kSplits, kPartials / (T * kv_heads)) ranges, so steps of many
// tokens, which have (token, kv head) blocks enough, do not split (their
// z > 0 blocks leave at once).
constexpr int64_t kSplits = 16;
constexpr int64_t kScratchBudget = int64_t{1} << 20;

// Shared memory: q, per-warp (m, l) and per-warp o of the group.
int64_t sharedBytes(int64_t warps, int64_t group, int64_t headDim) {
  return 4 * (group * headDim + 2 * warps * group + warps * group * headDim);
}

constexpr llvm::StringLiteral kTemplate =
#include "kernels/split_kv_attention.inc"
    ;

// Lane-owned head dims: a contiguous run per lane when the head splits
// evenly over 32 lanes (one wide load), else dims lane, lane + 32, ...
constexpr llvm::StringLiteral kLoadVContiguous =
    "          lfm_load_n<kDimsPerLane>(v_row + lane * kDimsPerLane, v);";
constexpr llvm::StringLiteral kLoadVStrided = R"(#pragma unroll
          for (int e = 0; e < kDimsPerLane; ++e) {
            const int dim = lane + 32 * e;
            v[e] = dim < kHeadDim ? lfm_to_float(v_row[dim]) : 0.0f;
          })";

} // namespace

llvm::Expected<KernelSource> emitAttention(const EmitContext &ctx) {
  llvm::Expected<AttentionSpec> spec = readAttentionSpec(ctx);
  if (!spec)
    return spec.takeError();
  const HeadShape &shape = spec->shape;
  const int64_t d = shape.headDim;
  const int64_t group = spec->group;
  const int64_t warps = sharedBytes(kMaxWarps, group, d) <= kStaticSharedLimit
                            ? kMaxWarps
                            : kMinWarps;
  if (sharedBytes(warps, group, d) > kStaticSharedLimit)
    return emitError(ctx, llvm::formatv("a kv-head group needs {0} bytes of "
                                        "shared memory (more than 48 KiB)",
                                        sharedBytes(warps, group, d)));

  // Scratch: kPartials / 2 int counters (a split step has at most that many
  // (token, kv head) pairs), padded to 16 bytes, then kPartials partials of
  // group * (d + 2) floats.
  const int64_t partialBytes = 4 * group * (d + 2);
  const int64_t partials = (kScratchBudget - 16) / (partialBytes + 2);
  const int64_t counterBytes = llvm::alignTo(4 * (partials / 2), 16);
  const int64_t scratchBytes = counterBytes + partials * partialBytes;
  if (partials < 2)
    return emitError(ctx, "a kv-head group's split-KV partial does not fit the scratch");

  const bool contiguous = d % 32 == 0;
  std::vector<std::pair<std::string, std::string>> vars =
      attentionTemplateVars(ctx, *spec);
  vars.insert(
      vars.end(),
      {
          {"DPL", std::to_string(llvm::divideCeil(d, 32))},
          {"WARPS", std::to_string(warps)},
          {"SPLITS", std::to_string(kSplits)},
          {"PARTIALS", std::to_string(partials)},
          {"COUNTER_BYTES", std::to_string(counterBytes)},
          {"LOAD_V", contiguous ? kLoadVContiguous.str() : kLoadVStrided.str()},
          {"DIM", contiguous ? "lane * kDimsPerLane + e" : "lane + 32 * e"},
      });
  KernelSource source;
  source.body = fillTemplate(kTemplate, vars);
  source.geometry = affineGeometry(static_cast<int32_t>(32 * warps),
                                   AffineTerm::rows(RowSpace::kTokens),
                                   AffineTerm{0, 0, 0, 0, shape.kvHeads, 1},
                                   AffineTerm{0, 0, 0, 0, kSplits, 1},
                                   AffineTerm{0, 0, 0, 0, scratchBytes, 1});
  return source;
}

} // namespace mlir::lfm::cuda
