// What a launch of each op documented in lfm/Plan.h must look like: its
// operand and result kinds, its attributes, and the shapes they imply. A
// launch that passes these checks cannot make a device index outside any
// buffer, which is why hostile artifacts are stopped here rather than in each
// device's kernels.
#ifndef LFM_ARTIFACT_LAUNCHRULES_H
#define LFM_ARTIFACT_LAUNCHRULES_H

#include <cstddef>

#include "absl/status/status.h"
#include "lfm/Plan.h"

namespace lfm {

// Checks plan.launches[index]. The plan's tables (weights, activations,
// state specs, config) must already have been verified. `logits_rows` is
// the logits buffer's row space, logitsRowSpace(plan) (lfm/PlanLayout.h):
// logit rows, or token rows when the first launch writing the logits reads
// token rows (a plan without gather_rows).
absl::Status verifyLaunch(const Plan &plan, size_t index, RowSpace logits_rows);

}  // namespace lfm

#endif  // LFM_ARTIFACT_LAUNCHRULES_H
