// The emu device: host memory as the cpu device keeps it (HostPlanMemory),
// the kernels compiled into a host library, and a loop that binds each
// launch's buffers into LfmKernelArgs and runs its blocks on the pool.
#include "emu/EmuDevice.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "cpu/HostMemoryDevice.h"
#include "cpu/ThreadPool.h"
#include "emu/EmuCompiler.h"
#include "kernels/KernelCoverage.h"
#include "lfm/KernelAbi.h"
#include "lfm/StatusMacros.h"

namespace lfm::emu {
namespace {

// lfm_emu.h's LFM_EMU_MAX_DYNAMIC_SHARED: what `extern __shared__` holds.
constexpr int64_t kMaxDynamicShared = 232448;

// A launch with its kernel and the static views of its buffers.
struct BoundLaunch {
  const KernelInfo *kernel = nullptr;
  EmuModule::Entry entry = nullptr;
  // The variant for steps of >= large_rows_threshold rows (Launch), if any.
  const KernelInfo *large_rows_kernel = nullptr;
  EmuModule::Entry large_rows_entry = nullptr;
  std::vector<cpu::Tensor> buffers;  // operands, then results
  size_t num_operands = 0;
};

class EmuDevice final : public cpu::HostMemoryDevice {
 public:
  explicit EmuDevice(int threads) : HostMemoryDevice("emu device"), pool_(threads) {}

  std::string name() const override { return "emu"; }
  absl::Status setKernels(std::span<const KernelInfo> kernels) override {
    kernels_.assign(kernels.begin(), kernels.end());
    return absl::OkStatus();
  }
  absl::Status checkKernels(const Plan &plan,
                            std::span<const KernelInfo> kernels) const override {
    return checkKernelCoverage("emu device", plan, kernels, [](const KernelInfo &k) {
      return k.cuda_source.empty()
                 ? absl::FailedPreconditionError(
                       "has no CUDA C++ source, which the emu device compiles for the host")
                 : absl::OkStatus();
    });
  }
  absl::Status execute(const StepInputs &inputs, DeviceState &state,
                       std::span<float> logits) override;

 private:
  void unbindLaunches() override { launches_.clear(); }
  absl::Status bindLaunches() override;
  absl::Status runLaunch(size_t li, const KernelInfo &kernel, EmuModule::Entry entry,
                         const LaunchDims &dims, const LfmKernelArgs &args);

  cpu::ThreadPool pool_;
  std::vector<KernelInfo> kernels_;
  std::unique_ptr<EmuModule> module_;
  std::vector<BoundLaunch> launches_;
  // LfmKernelArgs::scratch, grown on demand; calloc'd, so zero when
  // allocated, as kernels expect (KernelAbi.h).
  cpu::HostBuffer launch_scratch_;
};

absl::Status EmuDevice::bindLaunches() {
  const Plan &plan = memory_.plan();
  LFM_RETURN_IF_ERROR(checkKernels(plan, kernels_));
  for (size_t li = 0; li < plan.launches.size(); ++li) {
    const Launch &launch = plan.launches[li];
    const KernelInfo &kernel = kernels_[launch.kernel];
    if (launch.operands.size() + launch.results.size() > kMaxKernelBuffers) {
      return absl::InvalidArgumentError(absl::StrCat("emu device: launch ", li, " (op '",
                                                     opName(launch.op), "') binds more than ",
                                                     kMaxKernelBuffers, " buffers"));
    }
    BoundLaunch bound;
    bound.kernel = &kernel;
    if (launch.large_rows_kernel >= 0) bound.large_rows_kernel = &kernels_[launch.large_rows_kernel];
    for (const KernelInfo *k : {bound.kernel, bound.large_rows_kernel}) {
      if (k == nullptr) continue;
      if (k->dynamic_shared_bytes < 0 || k->dynamic_shared_bytes > kMaxDynamicShared) {
        return absl::InvalidArgumentError(absl::StrCat(
            "emu device: kernel ", k->name, " asks for ", k->dynamic_shared_bytes,
            " bytes of dynamic shared memory; a block has at most ", kMaxDynamicShared));
      }
    }
    for (BufferRef ref : launch.operands) bound.buffers.push_back(memory_.describe(ref));
    for (BufferRef ref : launch.results) bound.buffers.push_back(memory_.describe(ref));
    bound.num_operands = launch.operands.size();
    launches_.push_back(std::move(bound));
  }
  // Kernels are compiled (or found in the cache) once per table.
  LFM_ASSIGN_OR_RETURN(module_, compileKernels(kernels_));
  for (size_t li = 0; li < launches_.size(); ++li) {
    launches_[li].entry = module_->entry(plan.launches[li].kernel);
    if (plan.launches[li].large_rows_kernel >= 0)
      launches_[li].large_rows_entry = module_->entry(plan.launches[li].large_rows_kernel);
  }
  return absl::OkStatus();
}

absl::Status EmuDevice::runLaunch(size_t li, const KernelInfo &kernel, EmuModule::Entry entry,
                                  const LaunchDims &dims, const LfmKernelArgs &args) {
  const int64_t blocks = dims.grid[0] * dims.grid[1] * dims.grid[2];
  // Several chunks per thread, so that blocks of uneven cost still balance.
  const int64_t grain = std::max<int64_t>(1, blocks / (4 * pool_.threads()));
  std::mutex mu;
  absl::Status first_error;
  pool_.parallelFor(blocks, grain, [&](int64_t begin, int64_t end) {
    absl::Status s = module_->runBlocks(entry, args, dims, begin, end);
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.ok()) first_error = s;
    }
  });
  if (!first_error.ok()) {
    return absl::InternalError(absl::StrCat("emu device: launch ", li, " (kernel ",
                                            kernel.name, "): ", first_error.message()));
  }
  return absl::OkStatus();
}

absl::Status EmuDevice::execute(const StepInputs &inputs, DeviceState &state,
                                std::span<float> logits) {
  if (!memory_.loaded()) return absl::FailedPreconditionError("emu device: no plan loaded");
  LFM_ASSIGN_OR_RETURN(const cpu::HostState *host_state, memory_.ownState(&state));
  const Plan &plan = memory_.plan();
  LFM_RETURN_IF_ERROR(validateStepInputs(plan, host_state->shape(), inputs));
  LFM_RETURN_IF_ERROR(memory_.checkLogitsOutput(inputs, logits));
  const int64_t tokens = static_cast<int64_t>(inputs.tokens.size());
  const int64_t rows = static_cast<int64_t>(inputs.logit_rows.size());

  const StepDims dims = stepDimsOf(inputs.row_offsets, inputs.start_pos, rows);

  LfmKernelArgs args{};
  args.num_tokens = static_cast<int32_t>(tokens);
  args.num_seqs = static_cast<int32_t>(dims.seqs);
  args.num_logit_rows = static_cast<int32_t>(rows);
  args.max_seq_len = static_cast<int32_t>(host_state->shape().max_seq_len);
  args.max_context = static_cast<int32_t>(dims.max_context);
  args.num_slots = static_cast<int32_t>(host_state->shape().slots);

  timer_.beginStep(launches_.size());
  for (size_t li = 0; li < launches_.size(); ++li) {
    const BoundLaunch &bound = launches_[li];
    // The launch's kernel variant for this step's rows.
    const Launch &launch = plan.launches[li];
    const bool large = bound.large_rows_kernel != nullptr &&
                       selectKernel(plan, launch, dims) == launch.large_rows_kernel;
    const KernelInfo &kernel = large ? *bound.large_rows_kernel : *bound.kernel;
    const EmuModule::Entry entry = large ? bound.large_rows_entry : bound.entry;
    LFM_ASSIGN_OR_RETURN(LaunchDims launch_dims, computeLaunchDims(kernel.geometry, dims));
    if (launch_dims.empty()) continue;
    cpu::HostLaunchTimer::Scope timed(timer_, li, large ? launch.large_rows_kernel : launch.kernel);
    if (launch_dims.scratch_bytes > launch_scratch_.size()) {
      LFM_ASSIGN_OR_RETURN(launch_scratch_,
                           cpu::HostBuffer::allocate(launch_dims.scratch_bytes, "launch scratch"));
    }
    args.scratch = launch_dims.scratch_bytes > 0 ? launch_scratch_.data() : nullptr;
    args.scratch_bytes = launch_dims.scratch_bytes;

    std::vector<cpu::Tensor> buffers = bound.buffers;
    for (size_t i = 0; i < buffers.size(); ++i) {
      memory_.bind(buffers[i], &inputs, tokens, rows, host_state);
      args.buf[i] = buffers[i].data;
    }
    for (size_t i = buffers.size(); i < kMaxKernelBuffers; ++i) args.buf[i] = nullptr;
    LFM_RETURN_IF_ERROR(runLaunch(li, kernel, entry, launch_dims, args));
  }
  memory_.copyLogits(inputs, logits);
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Device> createEmuDevice(int threads) {
  return std::make_unique<EmuDevice>(threads);
}

}  // namespace lfm::emu
