// Picks the next token from a row of logits: greedy, or sampling with
// temperature, top-k and top-p (nucleus), applied in that order as Hugging
// Face does. The random stream is a seeded mt19937_64 turned into doubles by
// bit manipulation (not std::uniform_real_distribution, whose output differs
// between standard libraries), so a seed gives the same tokens everywhere.
#ifndef LFM_SAMPLER_H
#define LFM_SAMPLER_H

#include <cstdint>
#include <random>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lfm {

struct SamplingOptions {
  float temperature = 0.0f;  // 0 = greedy
  int64_t top_k = 0;         // 0 = no limit; 1 = greedy
  float top_p = 1.0f;        // in (0, 1]; 1 = no limit
  uint64_t seed = 0;
};

// temperature >= 0 and finite, top_k >= 0, top_p in (0, 1].
absl::Status validateSamplingOptions(const SamplingOptions &options);

// The index of the largest logit (the lowest index on ties; NaN never wins).
// Error on an empty row.
absl::StatusOr<int32_t> argmax(std::span<const float> logits);

class Sampler {
 public:
  static absl::StatusOr<Sampler> create(const SamplingOptions &options);

  bool greedy() const { return options_.temperature == 0.0f || options_.top_k == 1; }
  // The next token. Greedy options never touch the random stream.
  absl::StatusOr<int32_t> sample(std::span<const float> logits);

 private:
  explicit Sampler(const SamplingOptions &options) : options_(options), rng_(options.seed) {}
  double uniform();  // in [0, 1)

  SamplingOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace lfm

#endif  // LFM_SAMPLER_H
