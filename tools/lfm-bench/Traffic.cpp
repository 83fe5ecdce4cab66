// Bytes per decode step from the plan's weights, state specs and launches.
#include "Traffic.h"

#include <algorithm>
#include <set>

#include "lfm/PlanLayout.h"

namespace lfm::tools {

namespace {

int64_t weightBytes(const WeightSpec &w) { return weightStorageBytes(w); }

// The bytes of `rows` rows of an embedding table (at most all of it).
int64_t tableRowBytes(const WeightSpec &w, int64_t rows) {
  const int64_t bytes = weightBytes(w);
  if (w.shape.empty() || w.shape[0] <= 0) return bytes;
  return std::min(bytes, rows * (bytes / w.shape[0]));
}

}  // namespace

int64_t totalWeightBytes(const Plan &plan) {
  int64_t total = 0;
  for (const WeightSpec &w : plan.weights) total += weightBytes(w);
  return total;
}

int64_t launchWeightBytes(const Plan &plan, const Launch &launch, int64_t tokens) {
  int64_t total = 0;
  for (BufferRef ref : launch.operands) {
    if (ref.kind != BufferRef::kWeight || ref.index < 0 ||
        static_cast<size_t>(ref.index) >= plan.weights.size()) {
      continue;
    }
    const WeightSpec &w = plan.weights[ref.index];
    total += launch.op == OpKind::kEmbedding ? tableRowBytes(w, tokens) : weightBytes(w);
  }
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
      (launch.op == OpKind::kEmbedding ? lookup_only : used_elsewhere).insert(ref.index);
    }
  }
  DecodeTraffic t;
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    const WeightSpec &w = plan.weights[i];
    const bool table_only = lookup_only.count(static_cast<int32_t>(i)) != 0 &&
                            used_elsewhere.count(static_cast<int32_t>(i)) == 0;
    t.weight_bytes += table_only ? tableRowBytes(w, seqs) : weightBytes(w);
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
