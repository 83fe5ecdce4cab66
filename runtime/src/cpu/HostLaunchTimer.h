// Per-launch timing for the devices that run launches on the host (cpu,
// emu): the steady clock around each launch, into Device::lastLaunchTimes.
#ifndef LFM_RUNTIME_CPU_HOSTLAUNCHTIMER_H
#define LFM_RUNTIME_CPU_HOSTLAUNCHTIMER_H

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "lfm/Device.h"

namespace lfm::cpu {

class HostLaunchTimer {
 public:
  using Clock = std::chrono::steady_clock;

  // Times a launch from construction to destruction (a no-op while timing is
  // off): declare one at the top of a launch's work, after the skip test.
  class Scope {
   public:
    Scope(HostLaunchTimer &timer, size_t launch, int32_t kernel)
        : timer_(timer.on_ ? &timer : nullptr), launch_(launch), kernel_(kernel),
          start_(timer_ != nullptr ? Clock::now() : Clock::time_point()) {}
    ~Scope() {
      if (timer_ == nullptr || launch_ >= timer_->times_.size()) return;
      timer_->times_[launch_] = {std::chrono::duration<double>(Clock::now() - start_).count(),
                                 kernel_};
    }
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

   private:
    HostLaunchTimer *timer_;
    size_t launch_;
    int32_t kernel_;
    Clock::time_point start_;
  };

  void enable(bool on) {
    on_ = on;
    times_.clear();
  }
  // A step of `launches` launches begins: each entry is 0 until timed.
  void beginStep(size_t launches) {
    if (on_) times_.assign(launches, LaunchTime{});
  }
  std::span<const LaunchTime> times() const { return times_; }

 private:
  bool on_ = false;
  std::vector<LaunchTime> times_;
};

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_HOSTLAUNCHTIMER_H
