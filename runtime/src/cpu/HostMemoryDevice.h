// The part of a device that keeps every buffer in host memory: the cpu and
// emu devices differ only in how they run a launch, so state allocation and
// buffer access live here once, and so does launch timing (HostLaunchTimer).
#ifndef LFM_RUNTIME_CPU_HOSTMEMORYDEVICE_H
#define LFM_RUNTIME_CPU_HOSTMEMORYDEVICE_H

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "HostLaunchTimer.h"
#include "HostPlanMemory.h"
#include "lfm/Device.h"
#include "lfm/StatusMacros.h"

namespace lfm::cpu {

class HostMemoryDevice : public Device {
 public:
  // Checks the plan (checkPlan), takes its memory, then binds its launches
  // to this device's kernels; a plan that fails leaves the device unloaded.
  absl::Status load(const Plan &plan, HostWeights weights) final {
    unbindLaunches();
    memory_.unload();
    LFM_RETURN_IF_ERROR(checkPlan(plan));
    LFM_RETURN_IF_ERROR(memory_.load(plan, std::move(weights)));
    if (absl::Status s = bindLaunches(); !s.ok()) {
      memory_.unload();
      return s;
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<DeviceState>> allocateState(const StateShape &shape) override {
    return memory_.allocateState(shape);
  }
  absl::StatusOr<std::vector<float>> readBuffer(BufferRef ref, int64_t rows,
                                                const DeviceState *state) override {
    return memory_.readBuffer(ref, rows, state);
  }
  absl::Status writeBuffer(BufferRef ref, int64_t rows, DeviceState *state,
                           std::span<const float> values) override {
    return memory_.writeBuffer(ref, rows, state, values);
  }
  absl::Status setLaunchTiming(bool on) final {
    timer_.enable(on);
    return absl::OkStatus();
  }
  std::span<const LaunchTime> lastLaunchTimes() const final { return timer_.times(); }

 protected:
  // `device` starts every message ("cpu device: ...").
  explicit HostMemoryDevice(std::string device) : memory_(std::move(device)) {}

  // What the device requires of a plan before any memory is taken.
  virtual absl::Status checkPlan(const Plan &) { return absl::OkStatus(); }
  // Forget / prepare the per-launch bindings of memory_.plan().
  virtual void unbindLaunches() = 0;
  virtual absl::Status bindLaunches() = 0;

  HostPlanMemory memory_;
  // execute() calls timer_.beginStep, then times each launch with a Scope.
  HostLaunchTimer timer_;
};

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_HOSTMEMORYDEVICE_H
