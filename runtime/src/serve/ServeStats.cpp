#include "lfm/ServeStats.h"

#include <algorithm>
#include <cmath>

namespace lfm {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  ++count_;
  sum_ += value;
  // Cumulative: every bucket whose bound is at or above the value.
  for (size_t i = bounds_.size(); i-- > 0 && value <= bounds_[i];) ++counts_[i];
}

double Histogram::quantileBound(double q) const {
  if (count_ == 0 || bounds_.empty()) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count_);
  for (size_t i = 0; i < bounds_.size(); ++i)
    if (static_cast<double>(counts_[i]) >= rank) return bounds_[i];
  return bounds_.back();
}

std::vector<double> latencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3,
          0.5,   0.75,   1.0,   1.5,  2.5,   5.0,  10.0,  20.0, 30.0, 60.0};
}

}  // namespace lfm
