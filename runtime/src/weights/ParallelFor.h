// Runs fn(0..n-1) on a few threads. Converting or synthesizing gigabytes of
// weights is memory- and page-fault-bound work that scales with cores.
#ifndef LFM_WEIGHTS_PARALLELFOR_H
#define LFM_WEIGHTS_PARALLELFOR_H

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace lfm {

template <typename Fn>
void parallelFor(size_t n, Fn &&fn) {
  size_t threads = std::min<size_t>({n, std::max(1u, std::thread::hardware_concurrency()), 16});
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto &t : pool) t.join();
}

}  // namespace lfm

#endif  // LFM_WEIGHTS_PARALLELFOR_H
