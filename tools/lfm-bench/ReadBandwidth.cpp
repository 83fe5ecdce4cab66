#include "ReadBandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace lfm::tools {
namespace {

// Sum of the 64-bit words of [p, p + n): eight independent sums so the
// loads are not serialized; on x86 compiled for the widest vectors the CPU
// has (elsewhere the baseline's, e.g. aarch64's NEON).
#if defined(__x86_64__)
#define LFM_WIDEST_VECTORS __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LFM_WIDEST_VECTORS
#endif
LFM_WIDEST_VECTORS uint64_t sumWords(const uint64_t *p, int64_t n) {
  uint64_t s[8] = {};
  for (int64_t i = 0; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) s[l] += p[i + l];
  }
  uint64_t total = 0;
  for (uint64_t v : s) total += v;
  return total;
}

}  // namespace

double measureReadBandwidth(int threads, int64_t bytes) {
  threads = std::max(1, threads);
  const int64_t words = bytes / 8 / (8 * threads) * (8 * threads);
  uint64_t *buf = static_cast<uint64_t *>(std::aligned_alloc(64, words * 8));
  if (buf == nullptr) return 0;
  std::memset(buf, 1, words * 8);  // fault every page in before timing
  const int64_t per = words / threads;
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int sweep = 0; sweep < 4; ++sweep) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) {
        }
        sink.fetch_add(sumWords(buf + t * per, per), std::memory_order_relaxed);
      });
    }
    while (ready.load() < threads) {
    }
    auto start = std::chrono::steady_clock::now();
    go.store(true, std::memory_order_release);
    for (std::thread &t : pool) t.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(per * threads * 8) / s);
  }
  std::free(buf);
  return best;
}

}  // namespace lfm::tools
