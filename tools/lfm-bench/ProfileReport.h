// The --profile results of lfm-bench as a table for people and as JSON: per
// kernel, launches and microseconds per step, share of the step, and for
// kernels that read weights the bandwidth of those bytes and its share of
// the GPU's peak (0 = unknown), the memory roofline a decode kernel is
// measured against.
#ifndef LFM_TOOLS_LFMBENCH_PROFILEREPORT_H
#define LFM_TOOLS_LFMBENCH_PROFILEREPORT_H

#include <string>
#include <nlohmann/json.hpp>

#include "Profile.h"

namespace lfm::tools {

std::string profileTable(const StepProfile &p, double peak_bandwidth);

// {"decode": {...}, "prefill": {...}}, keyed by phase.
nlohmann::json profileJson(const std::vector<StepProfile> &profiles, double peak_bandwidth);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMBENCH_PROFILEREPORT_H
