// Dispatch by op name. The table is constant data, not mutable global state:
// devices stay independent.
#include "CpuOps.h"

namespace lfm::cpu {
namespace {

constexpr CpuOp kOps[] = {
    {"embedding", checkEmbedding, runEmbedding},
    {"rms_norm", checkRmsNorm, runRmsNorm},
    {"add_rms_norm", checkAddRmsNorm, runAddRmsNorm},
    {"add", checkAdd, runAdd},
    {"mul", checkMul, runMul},
    {"silu", checkSilu, runSilu},
    {"slice", checkSlice, runSlice},
    {"gather_rows", checkGatherRows, runGatherRows},
    {"linear", checkLinear, runLinear},
    {"short_conv", checkShortConv, runShortConv},
    {"gated_short_conv", checkGatedShortConv, runGatedShortConv},
    {"rope", checkRope, runRope},
    {"kv_cache_write", checkKvCacheWrite, runKvCacheWrite},
    {"attention", checkAttention, runAttention},
    {"qk_norm_rope_cache", checkQkNormRopeCache, runQkNormRopeCache},
};

}  // namespace

const CpuOp *findCpuOp(std::string_view name) {
  for (const CpuOp &op : kOps) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

}  // namespace lfm::cpu
