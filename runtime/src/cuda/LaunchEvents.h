// Per-launch timing on the GPU (Device::setLaunchTiming): a CUDA event
// recorded on the stream before each launch that runs and one after the
// last; after the stream finishes, the time between consecutive events is
// the time of the launch (and of the copies that follow it) on the GPU.
//
// Events are created on first use and kept for later steps (a step needs
// one more than it has launches that run), destroyed with this object.
#ifndef LFM_RUNTIME_CUDA_LAUNCHEVENTS_H
#define LFM_RUNTIME_CUDA_LAUNCHEVENTS_H

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "cuda/CudaContext.h"
#include "lfm/Device.h"

namespace lfm::cuda {

class LaunchEvents {
 public:
  explicit LaunchEvents(std::shared_ptr<CudaContext> ctx) : ctx_(std::move(ctx)) {}
  ~LaunchEvents();
  LaunchEvents(const LaunchEvents &) = delete;
  LaunchEvents &operator=(const LaunchEvents &) = delete;

  // A step of `launches` plan launches begins: every time is 0 until one
  // is measured.
  void beginStep(size_t launches);
  // Records the event that starts plan launch `launch`, of kernel `kernel`.
  absl::Status beforeLaunch(size_t launch, int32_t kernel, CUstream stream);
  // Records the event that ends the last launch.
  absl::Status endStep(CUstream stream);
  // Once the stream has finished the step: each launch's time, from its
  // event to the next one.
  absl::Status collect();

  std::span<const LaunchTime> times() const { return times_; }

 private:
  absl::Status record(CUstream stream);

  std::shared_ptr<CudaContext> ctx_;
  std::vector<CUevent> events_;
  size_t recorded_ = 0;                 // events recorded this step
  std::vector<size_t> launch_of_event_;  // per recorded event but the last
  std::vector<LaunchTime> times_;
};

}  // namespace lfm::cuda

#endif  // LFM_RUNTIME_CUDA_LAUNCHEVENTS_H
