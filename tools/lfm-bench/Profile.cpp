// Timed steps with launch timing on, summed per kernel name.
#include "Profile.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <vector>

#include "Traffic.h"
#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::tools {
namespace {

using Clock = std::chrono::steady_clock;

// Sums the launch times of steps into per-kernel totals.
class Accumulator {
 public:
  Accumulator(const Plan &plan, std::span<const KernelInfo> kernels)
      : plan_(plan), kernels_(kernels) {}

  // One step of `tokens` tokens that took `wall` seconds.
  absl::Status add(std::span<const LaunchTime> times, int64_t tokens, double wall) {
    if (times.size() != plan_.launches.size()) {
      return absl::InternalError(absl::StrCat("the device timed ", times.size(),
                                              " launches of a plan of ",
                                              plan_.launches.size()));
    }
    for (size_t li = 0; li < times.size(); ++li) {
      const LaunchTime &t = times[li];
      if (t.kernel < 0 && t.seconds <= 0) continue;  // skipped
      const Launch &launch = plan_.launches[li];
      const bool named = t.kernel >= 0 && static_cast<size_t>(t.kernel) < kernels_.size();
      KernelProfile &k =
          by_name_[named ? kernels_[t.kernel].name : std::string(opName(launch.op))];
      k.launches += 1;
      k.seconds += t.seconds;
      k.weight_bytes += static_cast<double>(launchWeightBytes(plan_, launch, tokens));
    }
    wall_ += wall;
    ++steps_;
    return absl::OkStatus();
  }

  // The per-step means, slowest kernel first.
  void finish(StepProfile &p) const {
    p.steps = steps_;
    if (steps_ == 0) return;
    p.step_seconds = wall_ / steps_;
    for (const auto &[name, total] : by_name_) {
      KernelProfile k = total;
      k.name = name;
      k.launches /= steps_;
      k.seconds /= steps_;
      k.weight_bytes /= steps_;
      p.launch_seconds += k.seconds;
      p.kernels.push_back(k);
    }
    std::sort(p.kernels.begin(), p.kernels.end(),
              [](const KernelProfile &a, const KernelProfile &b) { return a.seconds > b.seconds; });
  }

 private:
  const Plan &plan_;
  std::span<const KernelInfo> kernels_;
  std::map<std::string, KernelProfile> by_name_;
  double wall_ = 0;
  int64_t steps_ = 0;
};

// Runs `batch` as one timed step into `acc`.
absl::Status timedStep(Session &session, std::span<const SequenceStep> batch, int64_t tokens,
                       Accumulator &acc) {
  const auto start = Clock::now();
  LFM_RETURN_IF_ERROR(session.step(batch).status());
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  return acc.add(session.device().lastLaunchTimes(), tokens, wall);
}

absl::StatusOr<StepProfile> profileDecode(Session &session, const BenchOptions &options,
                                          std::span<const KernelInfo> kernels, int64_t batch) {
  const int64_t vocab = session.plan().config.vocab_size;
  std::vector<int64_t> ids;
  std::vector<std::vector<int32_t>> prompts;
  absl::Status s;
  for (int64_t b = 0; s.ok() && b < batch; ++b) {
    ids.push_back(3'000'000 + 2 * b);
    prompts.push_back(promptTokens(options.decode_context, vocab, 1 + b));
    s = session.claim(ids.back()).status();
    if (!s.ok()) ids.pop_back();
  }
  if (s.ok()) s = prefill(session, ids, prompts);
  // Timing from the warmup on (the cuda device creates its events in the
  // first timed step); only the steps after it count.
  if (s.ok()) s = session.device().setLaunchTiming(true);
  Accumulator acc(session.plan(), kernels);
  std::vector<int32_t> tokens(ids.size());
  std::vector<SequenceStep> steps;
  for (size_t b = 0; b < ids.size(); ++b) steps.push_back({ids[b], {&tokens[b], 1}});
  for (int64_t t = 0; s.ok() && t < options.warmup + options.profile_steps; ++t) {
    for (size_t b = 0; b < tokens.size(); ++b) {
      tokens[b] = static_cast<int32_t>((t * 31 + 5 + 7 * static_cast<int64_t>(b)) % vocab);
    }
    s = t < options.warmup ? session.step(steps).status()
                           : timedStep(session, steps, batch, acc);
  }
  for (int64_t id : ids) session.release(id).IgnoreError();
  LFM_RETURN_IF_ERROR(s);
  StepProfile p;
  p.phase = "decode";
  p.batch = p.tokens = batch;
  p.context = options.decode_context + options.warmup + (options.profile_steps + 1) / 2.0;
  acc.finish(p);
  return p;
}

absl::StatusOr<StepProfile> profilePrefill(Session &session, const BenchOptions &options,
                                           std::span<const KernelInfo> kernels) {
  const int64_t tokens = std::min(options.prompt_len, session.plan().max_tokens_per_step);
  std::vector<int32_t> prompt = promptTokens(tokens, session.plan().config.vocab_size, 0);
  const int64_t id = 3'000'001;
  LFM_RETURN_IF_ERROR(session.claim(id).status());
  Accumulator acc(session.plan(), kernels);
  const SequenceStep step{id, prompt};
  absl::Status s = session.device().setLaunchTiming(true);
  if (s.ok()) s = timedStep(session, {&step, 1}, tokens, acc);
  session.release(id).IgnoreError();
  LFM_RETURN_IF_ERROR(s);
  StepProfile p;
  p.phase = "prefill";
  p.batch = 1;
  p.tokens = tokens;
  p.context = (tokens + 1) / 2.0;
  acc.finish(p);
  return p;
}

}  // namespace

absl::StatusOr<std::vector<StepProfile>> profileSteps(Session &session,
                                                      const BenchOptions &options,
                                                      std::span<const KernelInfo> kernels) {
  std::vector<StepProfile> out;
  int64_t max_batch = 1;
  for (int64_t b : options.batches) max_batch = std::max(max_batch, b);
  std::vector<int64_t> batches = {1};
  if (max_batch > 1) batches.push_back(max_batch);
  absl::Status s;
  for (int64_t batch : batches) {
    absl::StatusOr<StepProfile> decode = profileDecode(session, options, kernels, batch);
    s = decode.status();
    if (!s.ok()) break;
    out.push_back(*std::move(decode));
  }
  if (s.ok() && options.prompt_len > 0) {
    absl::StatusOr<StepProfile> prefill_step = profilePrefill(session, options, kernels);
    s = prefill_step.status();
    if (s.ok()) out.push_back(*std::move(prefill_step));
  }
  session.device().setLaunchTiming(false).IgnoreError();
  LFM_RETURN_IF_ERROR(s);
  return out;
}

}  // namespace lfm::tools
