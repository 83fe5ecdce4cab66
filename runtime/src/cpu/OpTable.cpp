// Dispatch by op name. The table is constant data, not mutable global state:
// devices stay independent.
#include "CpuOps.h"

namespace lfm::cpu {
namespace {

constexpr CpuOp kOps[] = {
    {"embedding", runEmbedding},
    {"rms_norm", runRmsNorm},
    {"add_rms_norm", runAddRmsNorm},
    {"add", runAdd},
    {"mul", runMul},
    {"silu", runSilu},
    {"slice", runSlice},
    {"gather_rows", runGatherRows},
    {"linear", runLinear},
    {"short_conv", runShortConv},
    {"gated_short_conv", runGatedShortConv},
    {"rope", runRope},
    {"kv_cache_write", runKvCacheWrite},
    {"attention", runAttention},
    {"qk_norm_rope_cache", runQkNormRopeCache},
};

}  // namespace

const CpuOp *findCpuOp(std::string_view name) {
  for (const CpuOp &op : kOps) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

}  // namespace lfm::cpu
