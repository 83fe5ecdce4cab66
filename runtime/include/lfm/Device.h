// A device runs plans: it owns the weights, the activation arena and the
// state caches in its own memory, and executes a plan's launches in order.
//
// The CPU device (reference kernels) implements it today; the CUDA device
// (driver API via dlopen) and the emu device (generated CUDA C++ compiled for
// the host) implement the same interface, so sessions, lfm-run and the tests
// that compare devices run unchanged on each.
//
// A device is not thread-safe: one step at a time. It holds no globals, so
// several devices (one per GPU, say) can live in one process.
#ifndef LFM_DEVICE_H
#define LFM_DEVICE_H

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/Artifact.h"
#include "lfm/HostWeights.h"
#include "lfm/Plan.h"
#include "lfm/StateShape.h"

namespace lfm {

// The step inputs of Plan.h, in host memory. See Plan.h for their meaning.
struct StepInputs {
  std::span<const int32_t> tokens;       // [T]
  std::span<const int32_t> row_offsets;  // [N+1]
  std::span<const int32_t> slots;        // [N]
  std::span<const int32_t> start_pos;    // [N]
  std::span<const int32_t> logit_rows;   // [R], each in [0, T)
};

// The conv states and KV caches of one pool, in the memory of the device
// that allocated it (Device::allocateState). Only that device can use it.
// Layout per slot is Plan.h's: conv state [kernel-1][hidden], K and V each
// [max_seq_len][kv_heads][head_dim]; slot s starts at row s of the pool.
class DeviceState {
 public:
  virtual ~DeviceState() = default;
  const StateShape &shape() const { return shape_; }

 protected:
  explicit DeviceState(StateShape shape) : shape_(shape) {}

 private:
  StateShape shape_;
};

// How long one launch of a plan took in the last timed step
// (Device::setLaunchTiming).
struct LaunchTime {
  // Seconds the launch took, copies that move its results into place
  // included (cpu, emu: host clock around its work; cuda: from an event
  // recorded before it to the one before the next launch that ran, or the
  // one after the last), so a step's entries add up to about the time of
  // its launches. 0 for a launch the step skipped (empty grid).
  double seconds = 0;
  // The Artifact::kernels entry that ran: Launch::kernel or, when the step
  // chose it, Launch::large_rows_kernel (selectKernel, KernelAbi.h). -1 on
  // devices that run no generated kernels (cpu) and for skipped launches.
  int32_t kernel = -1;
};

class Device {
 public:
  virtual ~Device() = default;

  // "cpu", "cuda:0", ...: for messages.
  virtual std::string name() const = 0;

  // Binds a plan and its weights: checks every launch (known op, operand
  // kinds, widths, attributes), takes the weights into device memory and
  // sizes the activation arena for plan.max_tokens_per_step rows. Replaces
  // any previous plan. The weights are taken by value so that callers can
  // move gigabytes in instead of copying them.
  virtual absl::Status load(const Plan &plan, HostWeights weights) = 0;

  // Gives the device the artifact's GPU kernels (Artifact::kernels, which
  // Launch::kernel indexes) for the next load(). Call it before load().
  // Devices that run generated kernels (cuda, emu) need one for every
  // launch and fail in load() without them; the cpu device runs its own
  // reference kernels and ignores them.
  virtual absl::Status setKernels(std::span<const KernelInfo> kernels) {
    (void)kernels;
    return absl::OkStatus();
  }

  // Whether this device can run `plan` with `kernels`, checked before any
  // weight is uploaded: every launch (and large-rows variant) names a kernel
  // of the table that this device can load (cuda: a CUBIN for its arch or a
  // PTX it can JIT; emu: the CUDA C++ source). The cpu device needs none.
  // The error says which launch or kernel is missing what.
  virtual absl::Status checkKernels(const Plan &plan,
                                    std::span<const KernelInfo> kernels) const {
    (void)plan;
    (void)kernels;
    return absl::OkStatus();
  }

  // Allocates the conv states and KV caches of a pool for the loaded plan.
  virtual absl::StatusOr<std::unique_ptr<DeviceState>> allocateState(const StateShape &shape) = 0;

  // Runs the plan's launches in order over one step. Checks `inputs` first
  // (validateStepInputs below) and fails before touching any state. When
  // `logits` is not empty it receives the float32 logits of the R logit rows,
  // row-major [R][vocab]; it must then hold exactly R * vocab values.
  virtual absl::Status execute(const StepInputs &inputs, DeviceState &state,
                               std::span<float> logits) = 0;

  // Per-launch timing, for profiling ("where does a step's time go"). While
  // on, each execute() times every launch of the plan (cpu, emu: the host
  // clock around it; cuda: an event recorded before each launch and one
  // after the last, with decode steps launched one by one instead of as a
  // CUDA graph, so they cost a little more than untimed ones). Devices that
  // cannot time fail with Unimplemented; turning it off always succeeds.
  virtual absl::Status setLaunchTiming(bool on) {
    return on ? absl::UnimplementedError(name() + ": per-launch timing is not supported")
              : absl::OkStatus();
  }
  // The times of the last successful execute() with timing on: one entry
  // per Plan::launches entry, in plan order. Empty while timing is off or
  // before the first timed step; after a failed step, undefined.
  virtual std::span<const LaunchTime> lastLaunchTimes() const { return {}; }

  // Test and debug access to any buffer of the loaded plan, converted to and
  // from float32, row-major. `rows` is the row count of an activation or of
  // the logits (T or R of the step it belongs to); it is ignored for weights
  // and state, which are read whole (state: every slot of `state`).
  virtual absl::StatusOr<std::vector<float>> readBuffer(BufferRef ref, int64_t rows,
                                                        const DeviceState *state) = 0;
  virtual absl::Status writeBuffer(BufferRef ref, int64_t rows, DeviceState *state,
                                   std::span<const float> values) = 0;
};

// Checks step inputs against a plan and a pool before any device runs them:
// sizes, T in [1, max_tokens_per_step], row offsets from 0 to T strictly
// increasing, distinct slots in range, every sequence within the pool's
// capacity, token ids in [0, vocab), logit rows in [0, T). Every device
// calls it first, so bad inputs never reach a kernel.
absl::Status validateStepInputs(const Plan &plan, const StateShape &shape,
                                const StepInputs &inputs);

// kEmu: the generated CUDA kernels compiled for the host and run there, one
// fiber per CUDA thread (slow; for testing the kernels without a GPU).
enum class DeviceKind : uint8_t { kCpu = 0, kCuda = 1, kAuto = 2, kEmu = 3 };

// "cpu", "cuda", "auto" or "emu".
absl::StatusOr<DeviceKind> parseDeviceKind(std::string_view name);

struct DeviceOptions {
  DeviceKind kind = DeviceKind::kCpu;
  // CPU worker threads (cpu and emu); 0 = std::thread::hardware_concurrency().
  int threads = 0;
};

struct CreatedDevice {
  std::unique_ptr<Device> device;
  // What the caller should tell the user, e.g. why `auto` picked the CPU.
  // Empty when there is nothing to say.
  std::string note;
};

// Creates a device. kCuda fails with a clear message when no CUDA device is
// available (or built); kAuto picks CUDA when it is available and the CPU
// otherwise, saying so in `note`.
absl::StatusOr<CreatedDevice> createDevice(const DeviceOptions &options);

// Gives `created.device` (from createDevice(options)) the kernels of the
// model it will load, after Device::checkKernels. When the device cannot run
// them and options.kind is kAuto (an artifact compiled without kernels, or
// for other GPUs), it replaces the device with the cpu device and says why in
// `created.note`; with any other kind the check's error is returned.
absl::Status bindModelKernels(const DeviceOptions &options, CreatedDevice &created,
                              const Plan &plan, std::span<const KernelInfo> kernels);

}  // namespace lfm

#endif  // LFM_DEVICE_H
