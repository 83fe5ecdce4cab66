// lfm-bench --profile: where a step's time goes. With the device's launch
// timing on (Device::setLaunchTiming), a few decode steps at batch 1 (and at
// the largest --batch size) and one prefill step, their launch times summed per kernel (the artifact's kernel
// that ran, large-rows variant included; on the cpu device, which runs no
// generated kernels, per op), with the weight bytes those launches read.
#ifndef LFM_TOOLS_LFMBENCH_PROFILE_H
#define LFM_TOOLS_LFMBENCH_PROFILE_H

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "Bench.h"
#include "absl/status/statusor.h"
#include "lfm/Artifact.h"
#include "lfm/Session.h"

namespace lfm::tools {

// One kernel (or op) over the profiled steps, per step.
struct KernelProfile {
  std::string name;
  double launches = 0;       // launches that ran
  double seconds = 0;        // their time
  double weight_bytes = 0;   // the weight bytes they read
  double weightBytesPerSecond() const { return seconds > 0 ? weight_bytes / seconds : 0; }
};

struct StepProfile {
  std::string phase;     // "decode" or "prefill"
  int64_t batch = 0;     // sequences per step
  int64_t tokens = 0;    // tokens per step
  double context = 0;    // mean attended context
  int64_t steps = 0;
  double step_seconds = 0;    // wall time of Session::step, mean
  double launch_seconds = 0;  // the launches' time, mean (sum of the kernels')
  std::vector<KernelProfile> kernels;  // slowest first
};

// Decode steps (options.profile_steps after decode_context tokens and the
// warmup) at batch 1 and, when larger, at the largest of options.batches,
// and, when options.prompt_len > 0, one prefill step of
// min(prompt_len, max_tokens_per_step) tokens. `kernels` is the artifact's
// table that the launch times index. Fails when the device cannot time.
// The session needs max(batches) slots of decode_context + warmup +
// profile_steps tokens. Timing is off again on return.
absl::StatusOr<std::vector<StepProfile>> profileSteps(Session &session,
                                                      const BenchOptions &options,
                                                      std::span<const KernelInfo> kernels);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMBENCH_PROFILE_H
