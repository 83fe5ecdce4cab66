// Bytes per decode step from the plan's weights, state specs and launches.
#include "Traffic.h"

#include <set>

#include "lfm/PlanLayout.h"

namespace lfm::tools {

int64_t totalWeightBytes(const Plan &plan) {
  int64_t total = 0;
  for (const WeightSpec &w : plan.weights) total += weightElements(w) * dtypeSize(w.dtype);
  return total;
}

DecodeTraffic decodeTraffic(const Plan &plan, int64_t seqs, double context) {
  // A weight read only as an embedding table streams just the looked-up
  // rows; one also used elsewhere (the tied lm_head) is read whole.
  std::set<int32_t> lookup_only, used_elsewhere;
  for (const Launch &launch : plan.launches) {
    for (size_t i = 0; i < launch.operands.size(); ++i) {
      BufferRef ref = launch.operands[i];
      if (ref.kind != BufferRef::kWeight) continue;
      (launch.op == "embedding" ? lookup_only : used_elsewhere).insert(ref.index);
    }
  }
  DecodeTraffic t;
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    const WeightSpec &w = plan.weights[i];
    const int64_t bytes = weightElements(w) * dtypeSize(w.dtype);
    const bool table_only = lookup_only.count(static_cast<int32_t>(i)) != 0 &&
                            used_elsewhere.count(static_cast<int32_t>(i)) == 0;
    if (table_only && !w.shape.empty() && w.shape[0] > 0) {
      t.weight_bytes += seqs * (bytes / w.shape[0]);
    } else {
      t.weight_bytes += bytes;
    }
  }
  for (const KvCacheSpec &k : plan.kv_caches) {
    const double row = static_cast<double>(k.kv_heads * k.head_dim * dtypeSize(k.dtype));
    // K and V: `context` rows read, one row written.
    t.kv_bytes += static_cast<int64_t>(seqs * 2 * row * (context + 1));
  }
  for (const ConvStateSpec &c : plan.conv_states) {
    t.conv_bytes += seqs * 2 * (c.kernel - 1) * c.hidden * dtypeSize(c.dtype);
  }
  return t;
}

}  // namespace lfm::tools
