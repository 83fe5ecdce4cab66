// Dispatch by OpKind: one entry per op of the schema, in OpKind order, so
// that an op added to the schema without a cpu kernel fails to compile. The
// tables are constant data, not mutable global state: devices stay
// independent.
#include <cstddef>
#include <iterator>

#include "CpuOps.h"
#include "FastOps.h"

namespace lfm::cpu {
namespace {

using K = OpKind;

constexpr CpuOp kReferenceOps[] = {
    {K::kEmbedding, runEmbedding},
    {K::kRmsNorm, runRmsNorm},
    {K::kAddRmsNorm, runAddRmsNorm},
    {K::kAdd, runAdd},
    {K::kMul, runMul},
    {K::kSilu, runSilu},
    {K::kSlice, runSlice},
    {K::kGatherRows, runGatherRows},
    {K::kLinear, runLinear},
    {K::kShortConv, runShortConv},
    {K::kGatedShortConv, runGatedShortConv},
    {K::kRope, runRope},
    {K::kKvCacheWrite, runKvCacheWrite},
    {K::kAttention, runAttention},
    {K::kQkNormRopeCache, runQkNormRopeCache},
};

// The optimized kernels; the ops without one run their reference kernel.
constexpr CpuOp kFastOps[] = {
    {K::kEmbedding, runFastEmbedding},
    {K::kRmsNorm, runRmsNorm},
    {K::kAddRmsNorm, runAddRmsNorm},
    {K::kAdd, runAdd},
    {K::kMul, runMul},
    {K::kSilu, runSilu},
    {K::kSlice, runSlice},
    {K::kGatherRows, runFastGatherRows},
    {K::kLinear, runFastLinear},
    {K::kShortConv, runFastShortConv},
    {K::kGatedShortConv, runFastGatedShortConv},
    {K::kRope, runRope},
    {K::kKvCacheWrite, runKvCacheWrite},
    {K::kAttention, runFastAttention},
    {K::kQkNormRopeCache, runFastQkNormRopeCache},
};

template <size_t N>
constexpr bool inKindOrder(const CpuOp (&ops)[N]) {
  if (N != static_cast<size_t>(kNumOpKinds)) return false;
  for (size_t i = 0; i < N; ++i)
    if (static_cast<size_t>(ops[i].kind) != i) return false;
  return true;
}
static_assert(inKindOrder(kReferenceOps),
              "kReferenceOps needs one kernel per op of the schema, in OpKind order");
static_assert(inKindOrder(kFastOps),
              "kFastOps needs one kernel per op of the schema, in OpKind order");

}  // namespace

const CpuOp &referenceCpuOp(OpKind kind) { return kReferenceOps[static_cast<size_t>(kind)]; }

const CpuOp &fastCpuOp(OpKind kind) { return kFastOps[static_cast<size_t>(kind)]; }

}  // namespace lfm::cpu
