// The measurements of lfm-bench, on one session: prefill throughput of one
// prompt, and decode throughput of a batch of sequences at a given context,
// with the bytes each decode step must stream and the share of the GPU's
// memory bandwidth that reaches.
#ifndef LFM_TOOLS_LFMBENCH_BENCH_H
#define LFM_TOOLS_LFMBENCH_BENCH_H

#include <cstdint>
#include <vector>

#include "Traffic.h"
#include "absl/status/statusor.h"
#include "lfm/Session.h"

namespace lfm::tools {

struct BenchOptions {
  int64_t prompt_len = 512;
  int64_t decode_context = 128;  // tokens in each sequence before timed decode
  int64_t decode_steps = 64;
  std::vector<int64_t> batches = {1, 8};
  int warmup = 3;
  int repeats = 3;
  // --profile: per-kernel times of profile_steps decode steps (Profile.h).
  bool profile = false;
  int64_t profile_steps = 8;
};

struct PrefillResult {
  int64_t tokens = 0;
  double seconds = 0;  // best of the repeats
  double tokensPerSecond() const { return seconds > 0 ? tokens / seconds : 0; }
};

struct DecodeResult {
  int64_t batch = 0, steps = 0;
  double seconds = 0;     // all timed steps
  double context = 0;     // average attended context
  DecodeTraffic traffic;  // per step
  double tokensPerSecond() const { return seconds > 0 ? batch * steps / seconds : 0; }
  double stepSeconds() const { return steps > 0 ? seconds / steps : 0; }
  double bytesPerSecond() const { return stepSeconds() > 0 ? traffic.total() / stepSeconds() : 0; }
};

// Deterministic token ids that exercise the whole embedding table.
std::vector<int32_t> promptTokens(int64_t n, int64_t vocab, int64_t salt);

// Feeds `prompts[i]` to request ids[i], in steps of at most the plan's
// max_tokens_per_step tokens.
absl::Status prefill(Session &session, const std::vector<int64_t> &ids,
                     const std::vector<std::vector<int32_t>> &prompts);

// The session needs max(batches) slots of decode_context + warmup +
// decode_steps (and prompt_len) tokens.
absl::StatusOr<PrefillResult> benchPrefill(Session &session, const BenchOptions &options);
absl::StatusOr<DecodeResult> benchDecode(Session &session, const BenchOptions &options,
                                         int64_t batch);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMBENCH_BENCH_H
