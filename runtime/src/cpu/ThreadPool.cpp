#include "ThreadPool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace lfm::cpu {
namespace {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Waits until `a` differs from `old`: spins `rounds` pauses, then sleeps.
template <typename T>
T awaitChange(const std::atomic<T> &a, T old, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    T v = a.load(std::memory_order_acquire);
    if (v != old) return v;
    cpuRelax();
  }
  while (true) {
    a.wait(old, std::memory_order_acquire);
    T v = a.load(std::memory_order_acquire);
    if (v != old) return v;
  }
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (std::thread &t : workers_) t.join();
}

void ThreadPool::runChunks() {
  const int64_t chunks = (count_ + grain_ - 1) / grain_;
  for (int64_t c = next_chunk_.fetch_add(1); c < chunks; c = next_chunk_.fetch_add(1)) {
    const int64_t begin = c * grain_;
    (*body_)(begin, std::min(count_, begin + grain_));
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  while (true) {
    seen = awaitChange(generation_, seen, kSpinRounds);
    if (stop_.load(std::memory_order_acquire)) return;
    runChunks();
    if (busy_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1) busy_workers_.notify_one();
  }
}

void ThreadPool::parallelFor(int64_t count, int64_t grain,
                             const std::function<void(int64_t, int64_t)> &body) {
  if (count <= 0) return;
  grain = std::max<int64_t>(1, grain);
  // Small jobs are cheaper inline than a wake-up of every worker.
  if (workers_.empty() || count <= grain) {
    body(0, count);
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mu_);
  body_ = &body;
  count_ = count;
  grain_ = grain;
  next_chunk_.store(0, std::memory_order_relaxed);
  busy_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  runChunks();
  for (int busy = busy_workers_.load(std::memory_order_acquire); busy != 0;
       busy = busy_workers_.load(std::memory_order_acquire)) {
    awaitChange(busy_workers_, busy, kSpinRounds);
  }
  body_ = nullptr;
}

}  // namespace lfm::cpu
