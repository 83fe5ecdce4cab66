// Byte sizes of weight specs and the check that host buffers match them.
#include "absl/strings/str_cat.h"
#include "lfm/PlanLayout.h"
#include "lfm/WeightLoader.h"

namespace lfm {

int64_t weightBytes(const WeightSpec &spec) { return weightStorageBytes(spec); }

absl::Status checkHostWeights(const Plan &plan, const HostWeights &weights) {
  if (weights.buffers.size() != plan.weights.size())
    return absl::InvalidArgumentError(absl::StrCat("have ", weights.buffers.size(),
                                                   " weight buffers for the plan's ",
                                                   plan.weights.size(), " weights"));
  for (size_t i = 0; i < plan.weights.size(); ++i)
    if (static_cast<int64_t>(weights.buffers[i].size()) != weightBytes(plan.weights[i]))
      return absl::InvalidArgumentError(
          absl::StrCat("weight '", plan.weights[i].name, "' has ", weights.buffers[i].size(),
                       " bytes, its spec (",
                       plan.weights[i].quant ? quantFormatName(*plan.weights[i].quant)
                                             : dtypeName(plan.weights[i].dtype),
                       ") needs ",
                       weightBytes(plan.weights[i])));
  return absl::OkStatus();
}

}  // namespace lfm
