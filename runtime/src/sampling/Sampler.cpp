// Greedy and stochastic next-token selection.
#include "lfm/Sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lfm {

absl::Status validateSamplingOptions(const SamplingOptions &o) {
  if (!std::isfinite(o.temperature) || o.temperature < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("temperature must be finite and >= 0, got ", o.temperature));
  }
  if (o.top_k < 0) return absl::InvalidArgumentError(absl::StrCat("top-k must be >= 0, got ", o.top_k));
  if (!(o.top_p > 0.0f && o.top_p <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("top-p must be in (0, 1], got ", o.top_p));
  }
  if (!(o.min_p >= 0.0f && o.min_p <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("min-p must be in [0, 1], got ", o.min_p));
  }
  if (!(std::isfinite(o.repetition_penalty) && o.repetition_penalty > 0.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "repetition penalty must be finite and > 0, got ", o.repetition_penalty));
  }
  return absl::OkStatus();
}

absl::StatusOr<int32_t> argmax(std::span<const float> logits) {
  if (logits.empty()) return absl::InvalidArgumentError("sampler: empty logits row");
  int64_t best = 0;
  for (int64_t i = 1; i < static_cast<int64_t>(logits.size()); ++i) {
    // A NaN in the lead is replaced by whatever follows it.
    if (logits[i] > logits[best] || std::isnan(logits[best])) best = i;
  }
  return static_cast<int32_t>(best);
}

absl::StatusOr<Sampler> Sampler::create(const SamplingOptions &options) {
  if (absl::Status s = validateSamplingOptions(options); !s.ok()) return s;
  return Sampler(options);
}

double Sampler::uniform() {
  // The top 53 bits of one draw: a double in [0, 1) on every platform.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

absl::StatusOr<int32_t> Sampler::sample(std::span<const float> logits,
                                        std::span<const int32_t> seen) {
  if (options_.repetition_penalty == 1.0f || seen.empty()) return pick(logits);
  // HF's RepetitionPenaltyLogitsProcessor: each distinct seen token once.
  penalized_.assign(logits.begin(), logits.end());
  const float penalty = options_.repetition_penalty;
  for (int32_t id : seen) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) continue;
    float original = logits[id];
    penalized_[id] = original < 0 ? original * penalty : original / penalty;
  }
  return pick(penalized_);
}

absl::StatusOr<int32_t> Sampler::pick(std::span<const float> logits) {
  if (greedy()) return argmax(logits);
  if (logits.empty()) return absl::InvalidArgumentError("sampler: empty logits row");

  // Candidates by descending logit (ties by index, for determinism); NaN
  // logits are never candidates.
  std::vector<int32_t> order;
  order.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!std::isnan(logits[i])) order.push_back(static_cast<int32_t>(i));
  }
  if (order.empty()) return absl::InvalidArgumentError("sampler: every logit is NaN");
  auto by_logit = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  size_t keep = order.size();
  if (options_.top_k > 0) keep = std::min(keep, static_cast<size_t>(options_.top_k));
  std::partial_sort(order.begin(), order.begin() + keep, order.end(), by_logit);
  order.resize(keep);

  // Softmax of logits / temperature, in double.
  std::vector<double> probs(keep);
  const double max_logit = logits[order[0]];
  // An infinite top logit takes all the mass (and would make exp() NaN).
  if (!std::isfinite(max_logit)) return order[0];
  double total = 0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp((logits[order[i]] - max_logit) / options_.temperature);
    total += probs[i];
  }
  for (double &p : probs) p /= total;

  // Nucleus: the shortest prefix whose mass reaches top_p (at least one).
  if (options_.top_p < 1.0f) {
    double mass = 0;
    size_t n = 0;
    while (n < keep && mass < options_.top_p) mass += probs[n++];
    keep = std::max<size_t>(n, 1);
    total = std::accumulate(probs.begin(), probs.begin() + keep, 0.0);
    for (size_t i = 0; i < keep; ++i) probs[i] /= total;
  }

  // Min-p: drop what is less likely than min_p x the most likely (the
  // candidates are in descending order, so a prefix stays).
  if (options_.min_p > 0.0f) {
    const double floor = options_.min_p * probs[0];
    size_t n = 1;
    while (n < keep && probs[n] >= floor) ++n;
    if (n < keep) {
      keep = n;
      total = std::accumulate(probs.begin(), probs.begin() + keep, 0.0);
      for (size_t i = 0; i < keep; ++i) probs[i] /= total;
    }
  }

  double u = uniform();
  double cumulative = 0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += probs[i];
    if (u < cumulative) return order[i];
  }
  return order[keep - 1];  // u within rounding of 1
}

}  // namespace lfm
