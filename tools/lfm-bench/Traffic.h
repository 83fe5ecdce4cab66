// The DRAM bytes a decode step must move at least: the roofline's numerator;
// and the weight bytes of each launch, for the per-kernel profile.
#ifndef LFM_TOOLS_LFMBENCH_TRAFFIC_H
#define LFM_TOOLS_LFMBENCH_TRAFFIC_H

#include <cstdint>

#include "lfm/Plan.h"

namespace lfm::tools {

struct DecodeTraffic {
  int64_t weight_bytes = 0;  // every weight read once (an embedding table only the rows looked up)
  int64_t kv_bytes = 0;      // K and V rows read over the context, one row of each written
  int64_t conv_bytes = 0;    // each conv state read and written
  int64_t total() const { return weight_bytes + kv_bytes + conv_bytes; }
};

// For a decode step of `seqs` sequences at an average context of `context`
// tokens (cache rows attended, the new one included). Activations are left
// out: a few rows per layer, noise next to the weights.
DecodeTraffic decodeTraffic(const Plan &plan, int64_t seqs, double context);

// The bytes of all weights, as stored.
int64_t totalWeightBytes(const Plan &plan);

// The weight bytes one launch reads in a step of `tokens` tokens: each
// weight operand whole, except an embedding table, of which only the
// looked-up rows.
int64_t launchWeightBytes(const Plan &plan, const Launch &launch, int64_t tokens);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMBENCH_TRAFFIC_H
