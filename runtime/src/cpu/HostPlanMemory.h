// The host memory of a loaded plan, shared by the devices that run plans in
// host memory (cpu: reference kernels; emu: the generated CUDA kernels
// compiled for the host): the weights, the activation regions, the logits,
// the scratch for results that alias an operand's region, the state pools,
// and the views (Tensor) that bind a BufferRef to its bytes for a step.
#ifndef LFM_RUNTIME_CPU_HOSTPLANMEMORY_H
#define LFM_RUNTIME_CPU_HOSTPLANMEMORY_H

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/Device.h"
#include "lfm/PlanLayout.h"
#include "HostBuffer.h"
#include "Tensor.h"
#include "WeightPanels.h"

namespace lfm::cpu {

// The conv states and KV caches of one pool in host memory.
class HostState final : public DeviceState {
 public:
  HostState(const StateShape &shape, const void *owner_memory, uint64_t plan_generation)
      : DeviceState(shape), owner(owner_memory), generation(plan_generation) {}

  // Which memory and which load of it made this state: states do not move
  // between devices or survive a new plan.
  const void *owner;
  uint64_t generation;
  std::vector<HostBuffer> conv;    // per Plan::conv_states entry
  std::vector<HostBuffer> keys;    // per Plan::kv_caches entry
  std::vector<HostBuffer> values;  // per Plan::kv_caches entry
};

class HostPlanMemory {
 public:
  // `device` starts every message ("cpu device: ...").
  explicit HostPlanMemory(std::string device) : device_(std::move(device)) {}

  // Checks the weights against the plan's layout, takes them and allocates
  // the activation regions, the logits and the alias scratch. Replaces any
  // previous plan and invalidates its states.
  absl::Status load(const Plan &plan, HostWeights weights);
  bool loaded() const { return loaded_; }
  // Marks the memory unusable (a device whose own load step failed).
  void unload() { loaded_ = false; }
  const Plan &plan() const { return plan_; }
  const PlanLayout &layout() const { return layout_; }

  // Replaces weight `index` by the same values in panels (WeightPanels.h):
  // its views then say so, and readBuffer/writeBuffer convert. Calls for
  // different weights may run concurrently.
  void setWeightPanels(size_t index, PanelLayout layout, std::vector<uint8_t> panels);
  std::span<const uint8_t> weightBytes(size_t index) const { return weights_.buffers[index]; }

  absl::StatusOr<std::unique_ptr<DeviceState>> allocateState(const StateShape &shape);
  // `state` as a pool of this memory's current plan, or an error.
  absl::StatusOr<const HostState *> ownState(const DeviceState *state) const;

  // The view of `ref` without memory or a row count, bound per step.
  Tensor describe(BufferRef ref) const;
  // Points `t` at its memory for a step of `tokens` T and `logit_rows` R.
  void bind(Tensor &t, const StepInputs *inputs, int64_t tokens, int64_t logit_rows,
            const HostState *state) const;

  // Checks a step's logits output (empty, or exactly R x vocab) and, after
  // the launches ran, copies the R logit rows into it.
  absl::Status checkLogitsOutput(const StepInputs &inputs, std::span<const float> logits) const;
  void copyLogits(const StepInputs &inputs, std::span<float> logits) const;

  // Device::readBuffer and Device::writeBuffer.
  absl::StatusOr<std::vector<float>> readBuffer(BufferRef ref, int64_t rows,
                                                const DeviceState *state) const;
  absl::Status writeBuffer(BufferRef ref, int64_t rows, DeviceState *state,
                           std::span<const float> values) const;

 private:
  // A whole buffer as a view with memory, for readBuffer / writeBuffer.
  absl::StatusOr<Tensor> accessView(BufferRef ref, int64_t rows, const DeviceState *state) const;

  std::string device_;
  uint64_t generation_ = 0;
  bool loaded_ = false;
  Plan plan_;
  PlanLayout layout_;
  HostWeights weights_;
  std::vector<PanelLayout> weight_layouts_;  // per weight
  std::vector<HostBuffer> regions_;
  HostBuffer logits_;
  bool writes_logits_ = false;
};

}  // namespace lfm::cpu

#endif  // LFM_RUNTIME_CPU_HOSTPLANMEMORY_H
