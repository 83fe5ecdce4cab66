// Dispatch by op name. The tables are constant data, not mutable global
// state: devices stay independent.
#include "CpuOps.h"
#include "FastOps.h"

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

// The optimized kernels; the other ops run their reference kernel.
constexpr CpuOp kFastOps[] = {
    {"linear", runFastLinear},
    {"attention", runFastAttention},
    {"short_conv", runFastShortConv},
    {"gated_short_conv", runFastGatedShortConv},
    {"embedding", runFastEmbedding},
    {"gather_rows", runFastGatherRows},
    {"qk_norm_rope_cache", runFastQkNormRopeCache},
};

}  // namespace

const CpuOp *findCpuOp(std::string_view name) {
  for (const CpuOp &op : kOps) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

const CpuOp *findFastCpuOp(std::string_view name) {
  for (const CpuOp &op : kFastOps) {
    if (op.name == name) return &op;
  }
  return findCpuOp(name);
}

}  // namespace lfm::cpu
