// A small fork-join pool for the CPU kernels: parallelFor splits [0, count)
// into chunks that the workers and the calling thread take in turn. Each
// CPU device owns one (no global pool), so devices stay independent.
//
// Wake-ups are fast: after a job a worker spins on the job counter for a
// while (kSpinRounds pauses, about 100 us) before it sleeps on it (a futex,
// std::atomic::wait), so the launches of a step, microseconds apart, find
// their workers awake; the caller waits for the last chunk the same way.
#ifndef LFM_RUNTIME_CPU_THREADPOOL_H
#define LFM_RUNTIME_CPU_THREADPOOL_H

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lfm::cpu {

class ThreadPool {
 public:
  // `threads` in all, counting the caller; <= 0 = hardware_concurrency.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(begin, end) over chunks of at most `grain` indices covering
  // [0, count) exactly once, and returns when all are done. Not reentrant:
  // body must not call parallelFor.
  void parallelFor(int64_t count, int64_t grain,
                   const std::function<void(int64_t begin, int64_t end)> &body);

 private:
  static constexpr int kSpinRounds = 1 << 12;

  void workerLoop();
  void runChunks();

  std::vector<std::thread> workers_;
  std::mutex run_mu_;  // one parallelFor at a time
  // Bumped once per job (release): the job fields below are then valid.
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> busy_workers_{0};
  std::atomic<bool> stop_{false};
  // The current job.
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t count_ = 0;
  int64_t grain_ = 1;
  std::atomic<int64_t> next_chunk_{0};
};

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_THREADPOOL_H
