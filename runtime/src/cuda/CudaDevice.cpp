// The cuda device: binds a plan to loaded kernels and device memory, and
// runs steps on one stream (see CudaDevice.h for the memory layout).
#include "cuda/CudaDevice.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "cpu/ElementIO.h"
#include "cuda/CudaContext.h"
#include "cuda/CudaModules.h"
#include "cuda/DecodeGraphs.h"
#include "cuda/LaunchEvents.h"
#include "kernels/KernelCoverage.h"
#include "lfm/Artifact.h"
#include "lfm/KernelAbi.h"
#include "lfm/PlanLayout.h"
#include "lfm/StatusMacros.h"

namespace lfm::cuda {
namespace {

constexpr int64_t kAlignment = 256;  // cuMemAlloc's own alignment; keeps 128-bit loads aligned

int64_t alignUp(int64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

class CudaState final : public DeviceState {
 public:
  CudaState(const StateShape &shape, const void *owner_device, uint64_t plan_generation,
            std::shared_ptr<CudaContext> ctx)
      : DeviceState(shape), owner(owner_device), generation(plan_generation),
        graphs(std::move(ctx)) {}

  const void *owner;
  uint64_t generation;
  std::vector<DeviceMemory> conv;    // per Plan::conv_states entry
  std::vector<DeviceMemory> keys;    // per Plan::kv_caches entry
  std::vector<DeviceMemory> values;  // per Plan::kv_caches entry
  // Declared last so that its graphs are destroyed before the memory they
  // point at is freed.
  DecodeGraphs graphs;
};

class CudaDevice final : public Device {
 public:
  CudaDevice(std::shared_ptr<CudaContext> ctx, CUstream stream)
      : ctx_(std::move(ctx)), stream_(stream) {}
  ~CudaDevice() override;

  std::string name() const override { return absl::StrCat("cuda:", ctx_->info().ordinal); }
  absl::Status setKernels(std::span<const KernelInfo> kernels) override;
  absl::Status checkKernels(const Plan &plan,
                            std::span<const KernelInfo> kernels) const override;
  absl::Status load(const Plan &plan, HostWeights weights) override;
  absl::StatusOr<std::unique_ptr<DeviceState>> allocateState(const StateShape &shape) override;
  absl::Status execute(const StepInputs &inputs, DeviceState &state,
                       std::span<float> logits) override;
  absl::StatusOr<std::vector<float>> readBuffer(BufferRef ref, int64_t rows,
                                                const DeviceState *state) override;
  absl::Status writeBuffer(BufferRef ref, int64_t rows, DeviceState *state,
                           std::span<const float> values) override;
  absl::Status setLaunchTiming(bool on) override {
    if (!on) timing_.reset();
    else if (timing_ == nullptr) timing_ = std::make_unique<LaunchEvents>(ctx_);
    return absl::OkStatus();
  }
  std::span<const LaunchTime> lastLaunchTimes() const override {
    return timing_ != nullptr ? timing_->times() : std::span<const LaunchTime>();
  }

 private:
  struct BufferView {
    CUdeviceptr address = 0;
    DType dtype = DType::kF32;
    int64_t elements = 0;
    std::string name;
  };

  absl::Status check(CUresult r, absl::string_view what) const { return ctx_->check(r, what); }
  absl::Status sync() const { return check(ctx_->api().cuStreamSynchronize(stream_), "cuStreamSynchronize"); }
  absl::StatusOr<CudaState *> ownState(const DeviceState *state) const;
  CUdeviceptr address(BufferRef ref, const CudaState *state) const;
  // Grows the launch scratch to what any step of a pool of `shape` needs.
  absl::Status ensureLaunchScratch(const StateShape &shape);
  // Issues every launch of the plan for a step of `dims` on the stream,
  // recording `events` around them when timing.
  absl::Status enqueueLaunches(const StepDims &dims, const CudaState &state,
                               LaunchEvents *events = nullptr) const;
  absl::StatusOr<BufferView> view(BufferRef ref, int64_t rows, const DeviceState *state) const;

  std::shared_ptr<CudaContext> ctx_;
  CUstream stream_ = nullptr;
  std::vector<KernelInfo> kernel_table_;
  std::unique_ptr<CudaModules> modules_;

  bool loaded_ = false;
  uint64_t generation_ = 0;
  Plan plan_;
  PlanLayout layout_;
  DeviceMemory weights_;
  std::vector<int64_t> weight_offsets_;
  DeviceMemory arena_;
  std::vector<int64_t> region_offsets_;
  DeviceMemory launch_scratch_;
  uint64_t scratch_epoch_ = 0;
  int64_t input_stride_ = 0;  // bytes between the step inputs in inputs_
  DeviceMemory inputs_;
  PinnedMemory inputs_host_;
  DeviceMemory logits_;
  bool writes_logits_ = false;
  bool graphs_enabled_ = decodeGraphsEnabled();
  // Set while launch timing is on (setLaunchTiming); steps then bypass the
  // decode graphs so that every launch is its own enqueue between events.
  std::unique_ptr<LaunchEvents> timing_;
};

CudaDevice::~CudaDevice() {
  // Modules and memory release themselves; the stream goes last.
  modules_.reset();
  if (stream_ != nullptr && ctx_->makeCurrent().ok()) {
    ctx_->api().cuStreamSynchronize(stream_);
    ctx_->api().cuStreamDestroy(stream_);
  }
}

absl::Status CudaDevice::setKernels(std::span<const KernelInfo> kernels) {
  kernel_table_.assign(kernels.begin(), kernels.end());
  return absl::OkStatus();
}

absl::Status CudaDevice::checkKernels(const Plan &plan,
                                      std::span<const KernelInfo> kernels) const {
  const CudaDeviceInfo &info = ctx_->info();
  return checkKernelCoverage("cuda device", plan, kernels,
                             [&](const KernelInfo &k) -> absl::Status {
    LFM_RETURN_IF_ERROR(binaryFor(k, info).status());
    LFM_RETURN_IF_ERROR(checkLaunchGeometry(k.geometry));
    const LaunchGeometry &g = k.geometry;
    int64_t threads = int64_t{g.block[0]} * g.block[1] * g.block[2];
    if (g.block[0] < 1 || g.block[1] < 1 || g.block[2] < 1 || threads > 1024) {
      return absl::FailedPreconditionError(absl::StrCat("has block (", g.block[0], ",",
                                                        g.block[1], ",", g.block[2],
                                                        "); CUDA allows 1..1024 threads"));
    }
    return absl::OkStatus();
  });
}

absl::Status CudaDevice::load(const Plan &plan, HostWeights weights) {
  loaded_ = false;
  ++generation_;
  LFM_RETURN_IF_ERROR(ctx_->makeCurrent());
  LFM_RETURN_IF_ERROR(verifyPlan(plan));
  LFM_ASSIGN_OR_RETURN(PlanLayout layout, layoutPlan(plan));
  if (weights.buffers.size() != plan.weights.size()) {
    return absl::InvalidArgumentError(absl::StrCat("cuda device: the plan has ",
                                                   plan.weights.size(), " weights, got ",
                                                   weights.buffers.size()));
  }
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    if (static_cast<int64_t>(weights.buffers[i].size()) != layout.weight_bytes[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cuda device: weight ", i, " (", plan.weights[i].name, ") has ",
          weights.buffers[i].size(), " bytes, its spec needs ", layout.weight_bytes[i]));
    }
  }
  // Every launch must have a kernel the device can load and launch with the ABI.
  LFM_RETURN_IF_ERROR(checkKernels(plan, kernel_table_));
  for (size_t li = 0; li < plan.launches.size(); ++li) {
    const Launch &launch = plan.launches[li];
    if (launch.operands.size() + launch.results.size() > static_cast<size_t>(kMaxKernelBuffers)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cuda device: launch ", li, " (", opName(launch.op), ") binds ",
          launch.operands.size() + launch.results.size(), " buffers, the kernel ABI allows ",
          kMaxKernelBuffers));
    }
  }

  // Everything checked: release the previous plan's memory before taking
  // the new one's (a reload must not need twice the GPU memory).
  modules_.reset();
  weights_.reset();
  arena_.reset();
  launch_scratch_.reset();
  logits_.reset();
  ++scratch_epoch_;
  LFM_ASSIGN_OR_RETURN(modules_, CudaModules::load(ctx_, kernel_table_));

  plan_ = plan;
  layout_ = std::move(layout);
  const CudaDriverApi &a = ctx_->api();

  // Weights: one allocation, uploaded on the stream and synchronized before
  // the host copies go away at the end of this function.
  weight_offsets_.clear();
  int64_t total = 0;
  for (int64_t bytes : layout_.weight_bytes) {
    weight_offsets_.push_back(total);
    total += alignUp(bytes);
  }
  LFM_ASSIGN_OR_RETURN(weights_, DeviceMemory::allocate(ctx_, total, "weights"));
  for (size_t i = 0; i < weights.buffers.size(); ++i) {
    if (weights.buffers[i].empty()) continue;
    LFM_RETURN_IF_ERROR(check(a.cuMemcpyHtoDAsync(weights_.address() + weight_offsets_[i],
                                                  weights.buffers[i].data(),
                                                  weights.buffers[i].size(), stream_),
                              absl::StrCat("uploading weight ", plan_.weights[i].name)));
  }

  region_offsets_.clear();
  total = 0;
  for (int64_t bytes : layout_.region_bytes) {
    region_offsets_.push_back(total);
    total += alignUp(bytes);
  }
  LFM_ASSIGN_OR_RETURN(arena_, DeviceMemory::allocate(ctx_, total, "activation arena"));

  writes_logits_ = layout_.writes_logits;

  input_stride_ = alignUp((layout_.max_rows + 1) * static_cast<int64_t>(sizeof(int32_t)));
  LFM_ASSIGN_OR_RETURN(inputs_, DeviceMemory::allocate(ctx_, kNumInputs * input_stride_,
                                                       "step inputs"));
  LFM_ASSIGN_OR_RETURN(inputs_host_, PinnedMemory::allocate(ctx_, kNumInputs * input_stride_,
                                                            "step input staging"));
  LFM_ASSIGN_OR_RETURN(logits_, DeviceMemory::allocate(ctx_, layout_.logits_bytes, "logits"));
  LFM_RETURN_IF_ERROR(sync());
  loaded_ = true;
  return absl::OkStatus();
}

absl::Status CudaDevice::ensureLaunchScratch(const StateShape &shape) {
  // Each scratch term is affine in (T, N, R, max_context) with a ceiling
  // division, so over the box of possible steps its maximum is at a corner.
  const int64_t rows = layout_.max_rows;
  int64_t need = 0;
  for (const Launch &launch : plan_.launches) {
    for (int32_t ki : {launch.kernel, launch.large_rows_kernel}) {
      if (ki < 0) continue;
      const LaunchGeometry &g = modules_->kernel(ki).geometry;
      for (int corner = 0; corner < 16; ++corner) {
        StepDims d{corner & 1 ? rows : 1, corner & 2 ? rows : 1, corner & 4 ? rows : 1,
                   corner & 8 ? shape.max_seq_len : 1};
        absl::StatusOr<LaunchDims> dims = computeLaunchDims(g, d);
        if (dims.ok()) need = std::max(need, dims->scratch_bytes);
      }
    }
  }
  if (need <= launch_scratch_.size()) return absl::OkStatus();
  LFM_RETURN_IF_ERROR(sync());
  launch_scratch_.reset();
  LFM_ASSIGN_OR_RETURN(launch_scratch_, DeviceMemory::allocate(ctx_, need, "launch scratch"));
  // Zeroed: kernels find the launch scratch all zero and leave it so
  // (KernelAbi.h). cuMemsetD8 runs on the legacy default stream; wait for it
  // before any launch on ours.
  const CudaDriverApi &a = ctx_->api();
  LFM_RETURN_IF_ERROR(check(a.cuMemsetD8(launch_scratch_.address(), 0, static_cast<size_t>(need)),
                            "zeroing the launch scratch"));
  LFM_RETURN_IF_ERROR(check(a.cuStreamSynchronize(nullptr), "cuStreamSynchronize(default)"));
  ++scratch_epoch_;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DeviceState>> CudaDevice::allocateState(const StateShape &shape) {
  if (!loaded_) return absl::FailedPreconditionError("cuda device: no plan loaded");
  LFM_RETURN_IF_ERROR(ctx_->makeCurrent());
  LFM_RETURN_IF_ERROR(shape.validate());
  LFM_RETURN_IF_ERROR(ensureLaunchScratch(shape));
  auto state = std::make_unique<CudaState>(shape, this, generation_, ctx_);
  const CudaDriverApi &a = ctx_->api();
  // Zeroed so that a fresh pool reads as "no history", as the cpu device's
  // calloc'd pools do.
  auto zeroed = [&](int64_t bytes, std::string what) -> absl::StatusOr<DeviceMemory> {
    LFM_ASSIGN_OR_RETURN(DeviceMemory m, DeviceMemory::allocate(ctx_, bytes, what));
    if (m.size() > 0) {
      LFM_RETURN_IF_ERROR(check(a.cuMemsetD8(m.address(), 0, static_cast<size_t>(m.size())),
                                absl::StrCat("zeroing ", what)));
    }
    return m;
  };
  for (const ConvStateSpec &c : plan_.conv_states) {
    LFM_ASSIGN_OR_RETURN(int64_t bytes, convStateBytes(c, shape));
    LFM_ASSIGN_OR_RETURN(DeviceMemory m, zeroed(bytes, absl::StrCat("conv state of layer ", c.layer)));
    state->conv.push_back(std::move(m));
  }
  for (const KvCacheSpec &k : plan_.kv_caches) {
    LFM_ASSIGN_OR_RETURN(int64_t bytes, kvCacheBytes(k, shape));
    std::string what = absl::StrCat("KV cache of layer ", k.layer, " (", shape.slots,
                                    " slots x ", shape.max_seq_len, " tokens)");
    LFM_ASSIGN_OR_RETURN(DeviceMemory key, zeroed(bytes, what));
    LFM_ASSIGN_OR_RETURN(DeviceMemory value, zeroed(bytes, what));
    state->keys.push_back(std::move(key));
    state->values.push_back(std::move(value));
  }
  // cuMemsetD8 runs on the legacy default stream, which a non-blocking
  // stream does not wait for: finish it before any step can touch the pool.
  LFM_RETURN_IF_ERROR(check(a.cuStreamSynchronize(nullptr), "cuStreamSynchronize(default)"));
  return std::unique_ptr<DeviceState>(std::move(state));
}

absl::StatusOr<CudaState *> CudaDevice::ownState(const DeviceState *state) const {
  auto *cuda = dynamic_cast<CudaState *>(const_cast<DeviceState *>(state));
  if (cuda == nullptr || cuda->owner != this || cuda->generation != generation_) {
    return absl::InvalidArgumentError(
        "cuda device: the state pool was not allocated by this device for its current plan");
  }
  return cuda;
}

CUdeviceptr CudaDevice::address(BufferRef ref, const CudaState *state) const {
  switch (ref.kind) {
    case BufferRef::kInput: return inputs_.address() + ref.index * input_stride_;
    case BufferRef::kWeight: return weights_.address() + weight_offsets_[ref.index];
    case BufferRef::kActivation:
      return arena_.address() + region_offsets_[plan_.activations[ref.index].region];
    case BufferRef::kConvState: return state->conv[ref.index].address();
    case BufferRef::kKeyCache: return state->keys[ref.index].address();
    case BufferRef::kValueCache: return state->values[ref.index].address();
    case BufferRef::kLogits: return logits_.address();
  }
  return 0;
}

absl::Status CudaDevice::enqueueLaunches(const StepDims &dims, const CudaState &state,
                                         LaunchEvents *events) const {
  const CudaDriverApi &a = ctx_->api();
  for (size_t li = 0; li < plan_.launches.size(); ++li) {
    const Launch &launch = plan_.launches[li];
    // The kernel variant for this step's rows (a decode graph is keyed by
    // the sequence count, i.e. T = R = N with one row per sequence, so its
    // choice is fixed per graph).
    const int32_t kernel_index = selectKernel(plan_, launch, dims);
    const LoadedKernel &kernel = modules_->kernel(kernel_index);
    LFM_ASSIGN_OR_RETURN(LaunchDims ld, computeLaunchDims(kernel.geometry, dims));
    if (ld.empty()) continue;
    if (ld.scratch_bytes > launch_scratch_.size()) {
      return absl::InternalError(absl::StrCat("cuda device: launch ", li, " (", kernel.name,
                                              ") needs ", ld.scratch_bytes,
                                              " scratch bytes, ", launch_scratch_.size(),
                                              " were sized for the pool"));
    }
    LfmKernelArgs args{};
    int b = 0;
    for (BufferRef ref : launch.operands) {
      args.buf[b++] = reinterpret_cast<void *>(address(ref, &state));
    }
    for (BufferRef ref : launch.results) {
      args.buf[b++] = reinterpret_cast<void *>(address(ref, &state));
    }
    args.num_tokens = static_cast<int32_t>(dims.tokens);
    args.num_seqs = static_cast<int32_t>(dims.seqs);
    args.num_logit_rows = static_cast<int32_t>(dims.logit_rows);
    args.max_seq_len = static_cast<int32_t>(state.shape().max_seq_len);
    args.max_context = static_cast<int32_t>(dims.max_context);
    args.num_slots = static_cast<int32_t>(state.shape().slots);
    args.scratch = ld.scratch_bytes > 0 ? reinterpret_cast<void *>(launch_scratch_.address())
                                        : nullptr;
    args.scratch_bytes = ld.scratch_bytes;
    void *params[] = {&args};
    if (events != nullptr) LFM_RETURN_IF_ERROR(events->beforeLaunch(li, kernel_index, stream_));
    CUresult r = a.cuLaunchKernel(
        kernel.function, static_cast<unsigned>(ld.grid[0]), static_cast<unsigned>(ld.grid[1]),
        static_cast<unsigned>(ld.grid[2]), static_cast<unsigned>(ld.block[0]),
        static_cast<unsigned>(ld.block[1]), static_cast<unsigned>(ld.block[2]),
        static_cast<unsigned>(kernel.dynamic_shared_bytes), stream_, params, nullptr);
    if (r != CUDA_SUCCESS) {
      return check(r, absl::StrCat("launching ", kernel.name, " (launch ", li, ", ", opName(launch.op),
                                   ", grid ", ld.grid[0], "x", ld.grid[1], "x", ld.grid[2],
                                   ", block ", ld.block[0], "x", ld.block[1], "x", ld.block[2],
                                   ", ", kernel.dynamic_shared_bytes, " B shared, from ",
                                   kernel.loaded_from, ")"));
    }
  }
  return events != nullptr ? events->endStep(stream_) : absl::OkStatus();
}

absl::Status CudaDevice::execute(const StepInputs &inputs, DeviceState &state,
                                 std::span<float> logits) {
  if (!loaded_) return absl::FailedPreconditionError("cuda device: no plan loaded");
  LFM_ASSIGN_OR_RETURN(CudaState * st, ownState(&state));
  LFM_RETURN_IF_ERROR(validateStepInputs(plan_, st->shape(), inputs));
  const int64_t tokens = static_cast<int64_t>(inputs.tokens.size());
  const int64_t seqs = static_cast<int64_t>(inputs.slots.size());
  const int64_t rows = static_cast<int64_t>(inputs.logit_rows.size());
  const int64_t vocab = plan_.config.vocab_size;
  if (!logits.empty()) {
    if (!writes_logits_) {
      return absl::FailedPreconditionError("cuda device: the plan computes no logits");
    }
    if (static_cast<int64_t>(logits.size()) != rows * vocab) {
      return absl::InvalidArgumentError(absl::StrCat("cuda device: the logits output holds ",
                                                     logits.size(), " values, expected ", rows,
                                                     " rows x ", vocab));
    }
  }
  LFM_RETURN_IF_ERROR(ctx_->makeCurrent());
  const CudaDriverApi &a = ctx_->api();

  StepDims dims = stepDimsOf(inputs.row_offsets, inputs.start_pos, rows);

  // The inputs, staged in pinned memory (the previous step is finished: each
  // step ends with a synchronize) and uploaded in one copy.
  const std::span<const int32_t> parts[kNumInputs] = {
      inputs.tokens, inputs.row_offsets, inputs.slots, inputs.start_pos, inputs.logit_rows};
  for (int i = 0; i < kNumInputs; ++i) {
    std::copy(parts[i].begin(), parts[i].end(),
              reinterpret_cast<int32_t *>(inputs_host_.data() + i * input_stride_));
  }
  LFM_RETURN_IF_ERROR(check(a.cuMemcpyHtoDAsync(inputs_.address(), inputs_host_.data(),
                                                static_cast<size_t>(inputs_host_.size()), stream_),
                            "uploading the step inputs"));

  const bool decode = graphs_enabled_ && timing_ == nullptr && tokens == seqs && rows == seqs;
  if (timing_ != nullptr) timing_->beginStep(plan_.launches.size());
  if (decode) {
    dims.max_context = bucketContext(dims.max_context, st->shape().max_seq_len);
    DecodeGraphs::Key key{seqs, dims.max_context, scratch_epoch_};
    LFM_RETURN_IF_ERROR(st->graphs.launch(key, stream_, [&] { return enqueueLaunches(dims, *st); }));
  } else {
    LFM_RETURN_IF_ERROR(enqueueLaunches(dims, *st, timing_.get()));
  }

  if (!logits.empty()) {
    const size_t row_bytes = static_cast<size_t>(vocab) * sizeof(float);
    if (layout_.logits_rows == RowSpace::kLogitRows) {
      LFM_RETURN_IF_ERROR(check(a.cuMemcpyDtoHAsync(logits.data(), logits_.address(),
                                                    row_bytes * rows, stream_),
                                "copying the logits back"));
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        LFM_RETURN_IF_ERROR(check(
            a.cuMemcpyDtoHAsync(logits.data() + r * vocab,
                                logits_.address() + inputs.logit_rows[r] * row_bytes, row_bytes,
                                stream_),
            "copying the logits back"));
      }
    }
  }
  // Kernel faults surface here (asynchronously): name the step.
  absl::Status done = sync();
  if (!done.ok()) {
    return absl::InternalError(absl::StrCat("cuda device: step of ", tokens, " tokens in ", seqs,
                                            " sequences failed", decode ? " (decode graph)" : "",
                                            ": ", done.message()));
  }
  return timing_ != nullptr ? timing_->collect() : absl::OkStatus();
}

absl::StatusOr<CudaDevice::BufferView> CudaDevice::view(BufferRef ref, int64_t rows,
                                                        const DeviceState *state) const {
  if (!loaded_) return absl::FailedPreconditionError("cuda device: no plan loaded");
  BufferView v;
  const CudaState *st = nullptr;
  auto need_state = [&]() -> absl::Status {
    LFM_ASSIGN_OR_RETURN(st, ownState(state));
    return absl::OkStatus();
  };
  auto in_range = [&](size_t limit) -> absl::Status {
    if (ref.index < 0 || static_cast<size_t>(ref.index) >= limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("cuda device: buffer index ", ref.index, " out of range"));
    }
    return absl::OkStatus();
  };
  auto row_count = [&]() -> absl::Status {
    if (rows < 0 || rows > layout_.max_rows) {
      return absl::InvalidArgumentError(absl::StrCat("cuda device: ", rows,
                                                     " rows is outside [0, ", layout_.max_rows,
                                                     "]"));
    }
    return absl::OkStatus();
  };
  switch (ref.kind) {
    case BufferRef::kWeight: {
      LFM_RETURN_IF_ERROR(in_range(plan_.weights.size()));
      const WeightSpec &w = plan_.weights[ref.index];
      v = {address(ref, nullptr), w.dtype, weightElements(w), w.name};
      break;
    }
    case BufferRef::kActivation: {
      LFM_RETURN_IF_ERROR(in_range(plan_.activations.size()));
      LFM_RETURN_IF_ERROR(row_count());
      const ActivationSpec &s = plan_.activations[ref.index];
      v = {address(ref, nullptr), s.dtype, rows * s.width, s.name};
      break;
    }
    case BufferRef::kConvState: {
      LFM_RETURN_IF_ERROR(in_range(plan_.conv_states.size()));
      LFM_RETURN_IF_ERROR(need_state());
      const ConvStateSpec &c = plan_.conv_states[ref.index];
      v = {address(ref, st), c.dtype, st->conv[ref.index].size() / dtypeSize(c.dtype),
           absl::StrCat("conv state of layer ", c.layer)};
      break;
    }
    case BufferRef::kKeyCache:
    case BufferRef::kValueCache: {
      LFM_RETURN_IF_ERROR(in_range(plan_.kv_caches.size()));
      LFM_RETURN_IF_ERROR(need_state());
      const KvCacheSpec &k = plan_.kv_caches[ref.index];
      v = {address(ref, st), k.dtype, st->keys[ref.index].size() / dtypeSize(k.dtype),
           absl::StrCat("KV cache of layer ", k.layer)};
      break;
    }
    case BufferRef::kLogits:
      LFM_RETURN_IF_ERROR(row_count());
      v = {logits_.address(), DType::kF32, rows * plan_.config.vocab_size, "the logits"};
      break;
    default:
      return absl::InvalidArgumentError(
          "cuda device: step inputs and unknown kinds are not stored");
  }
  return v;
}

absl::StatusOr<std::vector<float>> CudaDevice::readBuffer(BufferRef ref, int64_t rows,
                                                          const DeviceState *state) {
  LFM_ASSIGN_OR_RETURN(BufferView v, view(ref, rows, state));
  LFM_RETURN_IF_ERROR(ctx_->makeCurrent());
  std::vector<uint8_t> raw(static_cast<size_t>(v.elements * dtypeSize(v.dtype)));
  if (!raw.empty()) {
    LFM_RETURN_IF_ERROR(check(ctx_->api().cuMemcpyDtoHAsync(raw.data(), v.address, raw.size(),
                                                            stream_),
                              absl::StrCat("reading ", v.name)));
  }
  LFM_RETURN_IF_ERROR(sync());
  std::vector<float> values(static_cast<size_t>(v.elements));
  cpu::loadFloats(raw.data(), v.dtype, v.elements, values.data());
  return values;
}

absl::Status CudaDevice::writeBuffer(BufferRef ref, int64_t rows, DeviceState *state,
                                     std::span<const float> values) {
  LFM_ASSIGN_OR_RETURN(BufferView v, view(ref, rows, state));
  if (static_cast<int64_t>(values.size()) != v.elements) {
    return absl::InvalidArgumentError(absl::StrCat("cuda device: ", v.name, " holds ",
                                                   v.elements, " values, got ", values.size()));
  }
  LFM_RETURN_IF_ERROR(ctx_->makeCurrent());
  std::vector<uint8_t> raw(static_cast<size_t>(v.elements * dtypeSize(v.dtype)));
  cpu::storeFloats(values.data(), v.elements, v.dtype, raw.data());
  if (!raw.empty()) {
    LFM_RETURN_IF_ERROR(check(ctx_->api().cuMemcpyHtoDAsync(v.address, raw.data(), raw.size(),
                                                            stream_),
                              absl::StrCat("writing ", v.name)));
  }
  return sync();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Device>> createCudaDevice(int ordinal) {
  LFM_ASSIGN_OR_RETURN(std::shared_ptr<CudaDriver> driver, CudaDriver::load());
  LFM_ASSIGN_OR_RETURN(std::shared_ptr<CudaContext> ctx, CudaContext::open(driver, ordinal));
  CUstream stream = nullptr;
  // Non-blocking: the stream never waits on the legacy default stream that
  // other libraries in the process may use.
  LFM_RETURN_IF_ERROR(ctx->check(ctx->api().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
                                 "cuStreamCreate"));
  return std::unique_ptr<Device>(new CudaDevice(std::move(ctx), stream));
}

}  // namespace lfm::cuda
