// Host buffers of a plan: allocation, state pools, views, and buffer access.
#include "HostPlanMemory.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "WeightPanels.h"
#include "lfm/StatusMacros.h"

namespace lfm::cpu {

absl::Status HostPlanMemory::load(const Plan &plan, HostWeights weights) {
  loaded_ = false;
  ++generation_;
  LFM_ASSIGN_OR_RETURN(PlanLayout layout, layoutPlan(plan));
  if (weights.buffers.size() != plan.weights.size()) {
    return absl::InvalidArgumentError(absl::StrCat(device_, ": the plan has ",
                                                   plan.weights.size(), " weights, got ",
                                                   weights.buffers.size()));
  }
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    if (static_cast<int64_t>(weights.buffers[i].size()) != layout.weight_bytes[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          device_, ": weight ", i, " (", plan.weights[i].name, ") has ",
          weights.buffers[i].size(), " bytes, its spec needs ", layout.weight_bytes[i]));
    }
  }
  plan_ = plan;
  layout_ = std::move(layout);
  weights_ = std::move(weights);
  weight_layouts_.assign(weights_.buffers.size(), PanelLayout::kRowMajor);
  regions_.clear();
  writes_logits_ = layout_.writes_logits;
  for (size_t r = 0; r < layout_.region_bytes.size(); ++r) {
    LFM_ASSIGN_OR_RETURN(HostBuffer b, HostBuffer::allocate(layout_.region_bytes[r],
                                                            absl::StrCat("activation region ", r)));
    regions_.push_back(std::move(b));
  }
  LFM_ASSIGN_OR_RETURN(logits_, HostBuffer::allocate(layout_.logits_bytes, "logits"));
  loaded_ = true;
  return absl::OkStatus();
}

void HostPlanMemory::setWeightPanels(size_t index, PanelLayout layout,
                                     std::vector<uint8_t> panels) {
  weights_.buffers[index] = std::move(panels);
  weight_layouts_[index] = layout;
}

absl::StatusOr<std::unique_ptr<DeviceState>> HostPlanMemory::allocateState(
    const StateShape &shape) {
  if (!loaded_) return absl::FailedPreconditionError(absl::StrCat(device_, ": no plan loaded"));
  LFM_RETURN_IF_ERROR(shape.validate());
  auto state = std::make_unique<HostState>(shape, this, generation_);
  for (const ConvStateSpec &c : plan_.conv_states) {
    LFM_ASSIGN_OR_RETURN(int64_t bytes, convStateBytes(c, shape));
    LFM_ASSIGN_OR_RETURN(HostBuffer b, HostBuffer::allocate(
                                           bytes, absl::StrCat("conv state of layer ", c.layer)));
    state->conv.push_back(std::move(b));
  }
  for (const KvCacheSpec &k : plan_.kv_caches) {
    LFM_ASSIGN_OR_RETURN(int64_t bytes, kvCacheBytes(k, shape));
    for (std::vector<HostBuffer> *pool : {&state->keys, &state->values}) {
      LFM_ASSIGN_OR_RETURN(HostBuffer b,
                           HostBuffer::allocate(bytes, absl::StrCat("KV cache of layer ", k.layer,
                                                                    " (", shape.slots, " slots x ",
                                                                    shape.max_seq_len,
                                                                    " tokens)")));
      pool->push_back(std::move(b));
    }
  }
  return std::unique_ptr<DeviceState>(std::move(state));
}

absl::StatusOr<const HostState *> HostPlanMemory::ownState(const DeviceState *state) const {
  const auto *host = dynamic_cast<const HostState *>(state);
  if (host == nullptr || host->owner != this || host->generation != generation_) {
    return absl::InvalidArgumentError(absl::StrCat(
        device_, ": the state pool was not allocated by this device for its current plan"));
  }
  return host;
}

Tensor HostPlanMemory::describe(BufferRef ref) const {
  BufferInfo info = describeBuffer(plan_, ref);
  Tensor t;
  t.ref = ref;
  t.dtype = info.dtype;
  t.space = info.space;
  t.rows = info.weight_rows;
  t.width = info.width;
  t.rows_per_slot = info.rows_per_slot;
  t.name = std::move(info.name);
  if (ref.kind == BufferRef::kWeight && plan_.weights[ref.index].quant) {
    t.quant = plan_.weights[ref.index].quant;
    t.quant_row_bytes = quantRowBytes(*t.quant, t.width).value_or(0);
  }
  if (ref.kind == BufferRef::kWeight) t.layout = weight_layouts_[ref.index];
  return t;
}

void HostPlanMemory::bind(Tensor &t, const StepInputs *inputs, int64_t tokens,
                          int64_t logit_rows, const HostState *state) const {
  const int64_t space_rows = t.space == RowSpace::kTokens ? tokens : logit_rows;
  switch (t.ref.kind) {
    case BufferRef::kInput: {
      std::span<const int32_t> v;
      switch (static_cast<InputId>(t.ref.index)) {
        case InputId::kTokens: v = inputs->tokens; break;
        case InputId::kRowOffsets: v = inputs->row_offsets; break;
        case InputId::kSlots: v = inputs->slots; break;
        case InputId::kStartPos: v = inputs->start_pos; break;
        case InputId::kLogitRows: v = inputs->logit_rows; break;
      }
      // Kernels never write inputs (only activations and logits are results).
      t.data = reinterpret_cast<uint8_t *>(const_cast<int32_t *>(v.data()));
      t.rows = static_cast<int64_t>(v.size());
      break;
    }
    case BufferRef::kWeight:
      t.data = const_cast<uint8_t *>(weights_.buffers[t.ref.index].data());
      break;
    case BufferRef::kActivation:
      t.data = regions_[plan_.activations[t.ref.index].region].data();
      t.rows = space_rows;
      break;
    case BufferRef::kConvState:
      t.data = state->conv[t.ref.index].data();
      t.rows = state->shape().slots * t.rows_per_slot;
      break;
    case BufferRef::kKeyCache:
    case BufferRef::kValueCache:
      t.data = (t.ref.kind == BufferRef::kKeyCache ? state->keys : state->values)[t.ref.index]
                   .data();
      t.rows_per_slot = state->shape().max_seq_len;
      t.rows = state->shape().slots * t.rows_per_slot;
      break;
    case BufferRef::kLogits:
      t.data = logits_.data();
      t.rows = space_rows;
      break;
  }
}

absl::Status HostPlanMemory::checkLogitsOutput(const StepInputs &inputs,
                                               std::span<const float> logits) const {
  if (logits.empty()) return absl::OkStatus();
  const int64_t rows = static_cast<int64_t>(inputs.logit_rows.size());
  const int64_t vocab = plan_.config.vocab_size;
  if (!writes_logits_) {
    return absl::FailedPreconditionError(absl::StrCat(device_, ": the plan computes no logits"));
  }
  if (static_cast<int64_t>(logits.size()) != rows * vocab) {
    return absl::InvalidArgumentError(absl::StrCat(device_, ": the logits output holds ",
                                                   logits.size(), " values, expected ", rows,
                                                   " rows x ", vocab));
  }
  return absl::OkStatus();
}

void HostPlanMemory::copyLogits(const StepInputs &inputs, std::span<float> logits) const {
  if (logits.empty()) return;
  const int64_t rows = static_cast<int64_t>(inputs.logit_rows.size());
  const int64_t vocab = plan_.config.vocab_size;
  const auto *src = reinterpret_cast<const float *>(logits_.data());
  for (int64_t r = 0; r < rows; ++r) {
    int64_t from = layout_.logits_rows == RowSpace::kTokens ? inputs.logit_rows[r] : r;
    std::memcpy(&logits[r * vocab], src + from * vocab, vocab * sizeof(float));
  }
}

absl::StatusOr<Tensor> HostPlanMemory::accessView(BufferRef ref, int64_t rows,
                                                  const DeviceState *state) const {
  if (!loaded_) return absl::FailedPreconditionError(absl::StrCat(device_, ": no plan loaded"));
  int64_t limit = 0;
  switch (ref.kind) {
    case BufferRef::kWeight: limit = static_cast<int64_t>(plan_.weights.size()); break;
    case BufferRef::kActivation: limit = static_cast<int64_t>(plan_.activations.size()); break;
    case BufferRef::kConvState: limit = static_cast<int64_t>(plan_.conv_states.size()); break;
    case BufferRef::kKeyCache:
    case BufferRef::kValueCache: limit = static_cast<int64_t>(plan_.kv_caches.size()); break;
    case BufferRef::kLogits: limit = 1; ref.index = 0; break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(device_, ": step inputs and unknown kinds are not stored"));
  }
  if (ref.index < 0 || ref.index >= limit) {
    return absl::InvalidArgumentError(absl::StrCat(device_, ": buffer index ", ref.index,
                                                   " out of range"));
  }
  const HostState *host_state = nullptr;
  if (ref.kind == BufferRef::kConvState || ref.kind == BufferRef::kKeyCache ||
      ref.kind == BufferRef::kValueCache) {
    LFM_ASSIGN_OR_RETURN(host_state, ownState(state));
  }
  if ((ref.kind == BufferRef::kActivation || ref.kind == BufferRef::kLogits) &&
      (rows < 0 || rows > layout_.max_rows)) {
    return absl::InvalidArgumentError(absl::StrCat(device_, ": ", rows, " rows is outside [0, ",
                                                   layout_.max_rows, "]"));
  }
  Tensor t = describe(ref);
  bind(t, nullptr, rows, rows, host_state);
  return t;
}

absl::StatusOr<std::vector<float>> HostPlanMemory::readBuffer(BufferRef ref, int64_t rows,
                                                              const DeviceState *state) const {
  LFM_ASSIGN_OR_RETURN(Tensor t, accessView(ref, rows, state));
  std::vector<float> values(t.rows * t.width);
  if (t.quant) {  // dequantized, from either layout
    for (int64_t r = 0; r < t.rows; ++r) t.loadRow(r, values.data() + r * t.width);
  } else if (t.layout != PanelLayout::kRowMajor) {
    const std::vector<uint8_t> w = unpackPanels(t.layout, weights_.buffers[ref.index], t.rows, t.width);
    loadFloats(w.data(), t.dtype, t.rows * t.width, values.data());
  } else {
    t.load(0, 0, t.rows * t.width, values.data());
  }
  return values;
}

absl::Status HostPlanMemory::writeBuffer(BufferRef ref, int64_t rows, DeviceState *state,
                                         std::span<const float> values) const {
  LFM_ASSIGN_OR_RETURN(Tensor t, accessView(ref, rows, state));
  if (static_cast<int64_t>(values.size()) != t.rows * t.width) {
    return absl::InvalidArgumentError(absl::StrCat(device_, ": ", t.name, " holds ",
                                                   t.rows * t.width, " values, got ",
                                                   values.size()));
  }
  if (t.quant) {
    return absl::InvalidArgumentError(absl::StrCat(device_, ": ", t.name,
                                                   " is quantized; it is not written as floats"));
  }
  if (t.layout != PanelLayout::kRowMajor) {
    std::vector<uint8_t> w(t.rows * t.width * dtypeSize(t.dtype));
    storeFloats(values.data(), t.rows * t.width, t.dtype, w.data());
    const std::vector<uint8_t> panels = packPanels(t.layout, w, t.rows, t.width);
    std::memcpy(t.data, panels.data(), panels.size());
  } else {
    t.store(0, 0, t.rows * t.width, values.data());
  }
  return absl::OkStatus();
}

}  // namespace lfm::cpu
