#include "serve/Logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace lfm::serve {

TokenLogprob tokenLogprob(std::span<const float> logits, int32_t chosen, int32_t top) {
  // log-sum-exp in double around the largest finite logit.
  double max = -std::numeric_limits<double>::infinity();
  for (float x : logits)
    if (std::isfinite(x)) max = std::max(max, static_cast<double>(x));
  double sum = 0;
  if (std::isfinite(max))
    for (float x : logits)
      if (!std::isnan(x)) sum += std::exp(static_cast<double>(x) - max);
  const double lse = max + std::log(sum);
  auto logprob = [&](int32_t id) {
    const float x = logits[static_cast<size_t>(id)];
    if (std::isnan(x) || !std::isfinite(lse)) return -std::numeric_limits<float>::infinity();
    return static_cast<float>(static_cast<double>(x) - lse);
  };

  TokenLogprob out;
  out.token = chosen;
  out.logprob = chosen >= 0 && static_cast<size_t>(chosen) < logits.size()
                    ? logprob(chosen)
                    : -std::numeric_limits<float>::infinity();
  const size_t k = std::min(logits.size(), static_cast<size_t>(std::max(top, 0)));
  if (k == 0) return out;
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  auto key = [&](int32_t id) {
    const float x = logits[static_cast<size_t>(id)];
    return std::isnan(x) ? -std::numeric_limits<float>::infinity() : x;
  };
  std::partial_sort(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(k), ids.end(),
                    [&](int32_t a, int32_t b) {
                      const float ka = key(a), kb = key(b);
                      return ka != kb ? ka > kb : a < b;
                    });
  for (size_t i = 0; i < k; ++i) out.top.emplace_back(ids[i], logprob(ids[i]));
  return out;
}

}  // namespace lfm::serve
