#include "ThreadPool.h"

#include <algorithm>

namespace lfm::cpu {

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread &t : workers_) t.join();
}

void ThreadPool::runChunks() {
  int64_t chunks = (count_ + grain_ - 1) / grain_;
  for (int64_t c = next_chunk_.fetch_add(1); c < chunks; c = next_chunk_.fetch_add(1)) {
    int64_t begin = c * grain_;
    (*body_)(begin, std::min(count_, begin + grain_));
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    lock.unlock();
    runChunks();
    lock.lock();
    if (--busy_workers_ == 0) done_cv_.notify_one();
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = &body;
    count_ = count;
    grain_ = grain;
    next_chunk_.store(0);
    busy_workers_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  work_cv_.notify_all();
  runChunks();
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return busy_workers_ == 0; });
  body_ = nullptr;
}

}  // namespace lfm::cpu
