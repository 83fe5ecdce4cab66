// Byte sizes of weight specs and the check that host buffers match them.
#include "absl/strings/str_cat.h"
#include "lfm/WeightLoader.h"

namespace lfm {

int64_t weightBytes(const WeightSpec &spec) {
  // Also called on specs not yet verified (an artifact's embedded extents
  // are checked against it first): a negative dimension or a product beyond
  // int64 is -1, which no byte count equals.
  int64_t n = dtypeSize(spec.dtype);
  for (int64_t d : spec.shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return -1;
  return n;
}

absl::Status checkHostWeights(const Plan &plan, const HostWeights &weights) {
  if (weights.buffers.size() != plan.weights.size())
    return absl::InvalidArgumentError(absl::StrCat("have ", weights.buffers.size(),
                                                   " weight buffers for the plan's ",
                                                   plan.weights.size(), " weights"));
  for (size_t i = 0; i < plan.weights.size(); ++i)
    if (static_cast<int64_t>(weights.buffers[i].size()) != weightBytes(plan.weights[i]))
      return absl::InvalidArgumentError(
          absl::StrCat("weight '", plan.weights[i].name, "' has ", weights.buffers[i].size(),
                       " bytes, its spec (", dtypeName(plan.weights[i].dtype), ") needs ",
                       weightBytes(plan.weights[i])));
  return absl::OkStatus();
}

}  // namespace lfm
