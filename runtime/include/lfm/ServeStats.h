// The serving engine's counters, gauges and latency histograms, as a
// snapshot (Engine::stats()) that a metrics endpoint formats.
#ifndef LFM_SERVESTATS_H
#define LFM_SERVESTATS_H

#include <array>
#include <cstdint>
#include <vector>

#include "lfm/ServeRequest.h"

namespace lfm {

// A cumulative histogram in the Prometheus sense: counts[i] observations
// <= bounds[i], and count in all (the +Inf bucket).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);
  // `q` in [0, 1]: the upper bound of the bucket that holds the q-quantile
  // (the largest bound when it is past every bucket); 0 when empty.
  double quantileBound(double q) const;

  const std::vector<double> &bounds() const { return bounds_; }
  const std::vector<uint64_t> &counts() const { return counts_; }  // cumulative
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
};

// Latency buckets in seconds, 1 ms to 60 s.
std::vector<double> latencyBuckets();

struct EngineStats {
  // Finished requests by FinishReason.
  std::array<uint64_t, kFinishReasons> finished{};
  uint64_t rejected = 0;  // submit() refused: queue full, shutting down, invalid
  uint64_t prompt_tokens = 0;     // of finished and running requests, once admitted
  uint64_t generated_tokens = 0;
  uint64_t steps = 0;
  int64_t running = 0;  // holding a slot
  int64_t waiting = 0;  // queued for one
  int64_t slots_total = 0;
  int64_t slots_used = 0;
  int64_t slots_free = 0;
  Histogram time_to_first_token{latencyBuckets()};  // submit to the first token
  Histogram inter_token_latency{latencyBuckets()};  // between a request's tokens
  Histogram step_time{latencyBuckets()};            // one device step with sampling
};

}  // namespace lfm

#endif  // LFM_SERVESTATS_H
