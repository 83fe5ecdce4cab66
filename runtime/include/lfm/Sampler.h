// Picks the next token from a row of logits: greedy, or sampling with
// temperature, top-k, top-p (nucleus) and min-p, applied in that order as
// Hugging Face does; a repetition penalty (HF's: a seen token's logit is
// divided by it when positive, multiplied when negative) comes first and
// applies to greedy choice too. The random stream is a seeded mt19937_64 turned into doubles by
// bit manipulation (not std::uniform_real_distribution, whose output differs
// between standard libraries), so a seed gives the same tokens everywhere.
#ifndef LFM_SAMPLER_H
#define LFM_SAMPLER_H

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lfm {

struct SamplingOptions {
  float temperature = 0.0f;  // 0 = greedy
  int64_t top_k = 0;         // 0 = no limit; 1 = greedy
  float top_p = 1.0f;        // in (0, 1]; 1 = no limit
  float min_p = 0.0f;        // in [0, 1]: drop tokens below min_p x the top probability
  float repetition_penalty = 1.0f;  // > 0; 1 = none
  uint64_t seed = 0;
};

// temperature >= 0 and finite, top_k >= 0, top_p in (0, 1], min_p in
// [0, 1], repetition_penalty > 0 and finite.
absl::Status validateSamplingOptions(const SamplingOptions &options);

// The index of the largest logit (the lowest index on ties; NaN never wins).
// Error on an empty row.
absl::StatusOr<int32_t> argmax(std::span<const float> logits);

class Sampler {
 public:
  static absl::StatusOr<Sampler> create(const SamplingOptions &options);

  bool greedy() const { return options_.temperature == 0.0f || options_.top_k == 1; }
  // The next token. `seen` is the context so far (prompt and generated
  // tokens), for the repetition penalty; ids outside the row are ignored.
  // Greedy options never touch the random stream.
  absl::StatusOr<int32_t> sample(std::span<const float> logits,
                                 std::span<const int32_t> seen = {});

 private:
  explicit Sampler(const SamplingOptions &options) : options_(options), rng_(options.seed) {}
  double uniform();  // in [0, 1)
  absl::StatusOr<int32_t> pick(std::span<const float> logits);

  std::vector<float> penalized_;  // scratch for the repetition penalty

  SamplingOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace lfm

#endif  // LFM_SAMPLER_H
