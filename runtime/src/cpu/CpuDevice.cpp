// The CPU device: host buffers for everything (HostPlanMemory), a thread
// pool, and a loop that binds each launch's buffers and calls its kernel:
// the optimized kernels (FastOps.h) on the best ISA of this CPU (Isa.h), or
// with LFM_CPU_KERNELS=reference the scalar reference kernels that are the
// oracle of the others. A step allocates nothing once the device has run a
// step as large (the launches' views and the kernels' scratch are reused).
#include "CpuDevice.h"

#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "CpuOps.h"
#include "DotKernels.h"
#include "HostMemoryDevice.h"
#include "Isa.h"
#include "lfm/Artifact.h"
#include "lfm/StatusMacros.h"
#include "ThreadPool.h"
#include "WeightPanels.h"
#include "Workspace.h"

namespace lfm::cpu {
namespace {

bool referenceKernelsAsked() {
  const char *v = std::getenv("LFM_CPU_KERNELS");
  return v != nullptr && std::string_view(v) == "reference";
}

// LFM_CPU_QUANT_X=f32 keeps x float32 against quantized weights (the slower,
// closer path); by default x is quantized to Q8 blocks (QuantDot.h).
bool quantizedXAsked() {
  const char *v = std::getenv("LFM_CPU_QUANT_X");
  return v == nullptr || std::string_view(v) != "f32";
}

// LFM_CPU_BF16=panels: bf16 weights in f32-widened panels on any AVX-512
// CPU (DotKernels.h's panelLayoutFor), for decode-bound use on AMX CPUs.
bool bf16PanelsAsked() {
  const char *v = std::getenv("LFM_CPU_BF16");
  return v != nullptr && std::string_view(v) == "panels";
}

// A launch with its kernel and its views, bound in place each step.
struct BoundLaunch {
  const CpuOp *op = nullptr;
  OpContext ctx;
};

class CpuDevice final : public HostMemoryDevice {
 public:
  explicit CpuDevice(int threads)
      : HostMemoryDevice("cpu device"), pool_(threads), reference_(referenceKernelsAsked()),
        isa_(activeIsa()), quantize_x_(quantizedXAsked()), bf16_panels_(bf16PanelsAsked()) {}

  std::string name() const override { return "cpu"; }
  absl::Status execute(const StepInputs &inputs, DeviceState &state,
                       std::span<float> logits) override;

 private:
  // The op contract of every launch, once: the kernels check nothing.
  absl::Status checkPlan(const Plan &plan) override { return verifyPlan(plan); }
  void unbindLaunches() override { launches_.clear(); }
  absl::Status bindLaunches() override;

  ThreadPool pool_;
  const bool reference_;
  const Isa isa_;
  const bool quantize_x_;
  const bool bf16_panels_;
  Workspace workspace_;
  StepContext step_;
  std::vector<BoundLaunch> launches_;
};

absl::Status CpuDevice::bindLaunches() {
  const Plan &plan = memory_.plan();
  // Linear weights in the layout of their tile (WeightPanels.h), a weight
  // per task on the device's threads.
  std::vector<std::pair<size_t, PanelLayout>> repack;
  for (size_t i = 0; i < plan.weights.size() && !reference_; ++i) {
    const WeightSpec &spec = plan.weights[i];
    const PanelLayout layout = spec.quant ? quantPanelLayoutFor(isa_, *spec.quant, quantize_x_)
                                          : panelLayoutFor(isa_, spec.dtype, bf16_panels_);
    if (panelsFit(plan, i, layout)) repack.emplace_back(i, layout);
  }
  pool_.parallelFor(static_cast<int64_t>(repack.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const auto [i, layout] = repack[j];
      const WeightSpec &spec = plan.weights[i];
      memory_.setWeightPanels(
          i, layout, packPanels(layout, memory_.weightBytes(i), spec.shape[0], spec.shape[1]));
    }
  });
  launches_.reserve(plan.launches.size());
  for (size_t li = 0; li < plan.launches.size(); ++li) {
    const Launch &launch = plan.launches[li];
    // checkPlan (verifyPlan) has proven the op one of the schema's.
    if (!opKindFromValue(static_cast<uint32_t>(launch.op)))
      return absl::InternalError(absl::StrCat("launch ", li, ": op ",
                                              static_cast<int>(launch.op),
                                              " is not in the op schema"));
    const CpuOp *op = reference_ ? &referenceCpuOp(launch.op) : &fastCpuOp(launch.op);
    BoundLaunch bound{op, OpContext{plan, static_cast<int64_t>(li), launch, {}, {}}};
    for (BufferRef ref : launch.operands) bound.ctx.operands.push_back(memory_.describe(ref));
    for (BufferRef ref : launch.results) bound.ctx.results.push_back(memory_.describe(ref));
    launches_.push_back(std::move(bound));
  }
  return absl::OkStatus();
}

absl::Status CpuDevice::execute(const StepInputs &inputs, DeviceState &state,
                                std::span<float> logits) {
  if (!memory_.loaded()) return absl::FailedPreconditionError("cpu device: no plan loaded");
  LFM_ASSIGN_OR_RETURN(const HostState *host_state, memory_.ownState(&state));
  LFM_RETURN_IF_ERROR(validateStepInputs(memory_.plan(), host_state->shape(), inputs));
  LFM_RETURN_IF_ERROR(memory_.checkLogitsOutput(inputs, logits));
  const int64_t tokens = static_cast<int64_t>(inputs.tokens.size());
  const int64_t rows = static_cast<int64_t>(inputs.logit_rows.size());

  StepContext &step = step_;
  step.inputs = inputs;
  step.tokens = tokens;
  step.logit_rows = rows;
  step.pool = &pool_;
  step.isa = isa_;
  step.quantize_x = quantize_x_;
  step.workspace = &workspace_;
  step.seq_of_token.resize(tokens);
  step.pos_of_token.resize(tokens);
  for (int64_t i = 0; i < step.sequences(); ++i) {
    for (int64_t t = step.seqBegin(i); t < step.seqEnd(i); ++t) {
      step.seq_of_token[t] = static_cast<int32_t>(i);
      step.pos_of_token[t] = inputs.start_pos[i] + (t - step.seqBegin(i));
    }
  }

  timer_.beginStep(launches_.size());
  for (size_t li = 0; li < launches_.size(); ++li) {
    HostLaunchTimer::Scope timed(timer_, li, /*kernel=*/-1);
    BoundLaunch &bound = launches_[li];
    OpContext &ctx = bound.ctx;
    for (Tensor &t : ctx.operands) memory_.bind(t, &inputs, tokens, rows, host_state);
    for (Tensor &t : ctx.results) memory_.bind(t, &inputs, tokens, rows, host_state);
    bound.op->run(ctx, step);
  }
  memory_.copyLogits(inputs, logits);
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<Device> createCpuDevice(int threads) {
  return std::make_unique<CpuDevice>(threads);
}

}  // namespace lfm::cpu
