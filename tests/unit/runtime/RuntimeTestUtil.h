// Shared helpers for the runtime tests: a builder for small hand-written
// plans, and a rig that loads one on the CPU device and runs steps on it.
#ifndef LFM_TESTS_RUNTIME_RUNTIMETESTUTIL_H
#define LFM_TESTS_RUNTIME_RUNTIMETESTUTIL_H

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lfm/DTypeConvert.h"
#include "lfm/Device.h"
#include "lfm/KernelAbi.h"
#include "lfm/Plan.h"
#include "lfm/QuantFormats.h"
#include "LaunchByName.h"

namespace lfm::testing {

// Deterministic values in [-1, 1).
inline std::vector<float> randomValues(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 12345u;
  for (float &x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>((s >> 8) & 0xffff) / 32768.0f - 1.0f;
  }
  return v;
}

// float32 values as the bytes of `dtype`.
inline std::vector<uint8_t> encode(const std::vector<float> &values, DType dtype) {
  std::vector<uint8_t> bytes(values.size() * dtypeSize(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kF32) {
      std::memcpy(&bytes[4 * i], &values[i], 4);
    } else {
      uint16_t h = dtype == DType::kBF16 ? floatToBf16(values[i]) : floatToF16(values[i]);
      std::memcpy(&bytes[2 * i], &h, 2);
    }
  }
  return bytes;
}

inline float roundTo(float v, DType dtype) {
  if (dtype == DType::kBF16) return bf16ToFloat(floatToBf16(v));
  if (dtype == DType::kF16) return f16ToFloat(floatToF16(v));
  return v;
}

// A step of `tokens` rows in `seqs` sequences (one logit row each), the
// longest `longest` rows at context `longest`.
inline StepDims stepOf(int64_t tokens, int64_t seqs, int64_t longest) {
  StepDims d;
  d.tokens = tokens;
  d.seqs = seqs;
  d.logit_rows = seqs;
  d.max_context = longest;
  d.longest_sequence = longest;
  return d;
}

inline BufferRef inputRef(InputId id) {
  return BufferRef{BufferRef::kInput, static_cast<int32_t>(id)};
}
inline const BufferRef kRowOffsets = inputRef(InputId::kRowOffsets);
inline const BufferRef kSlots = inputRef(InputId::kSlots);
inline const BufferRef kStartPos = inputRef(InputId::kStartPos);
inline const BufferRef kLogits{BufferRef::kLogits, 0};

class PlanBuilder {
 public:
  // The config starts complete (one conv layer) and convState / kvCache keep
  // it consistent with the state specs, so that built plans pass verifyPlan,
  // which every device runs at load.
  explicit PlanBuilder(int64_t vocab = 16, int64_t max_tokens = 32) {
    ModelConfig &c = plan.config;
    c.vocab_size = vocab;
    c.hidden_size = c.intermediate_size = 1;
    c.num_attention_heads = c.num_key_value_heads = c.head_dim = 1;
    c.layer_types = {LayerKind::kConv};
    plan.max_tokens_per_step = max_tokens;
  }

  BufferRef weight(std::vector<int64_t> shape, const std::vector<float> &values,
                   DType dtype = DType::kF32) {
    WeightSpec spec;
    spec.name = "w" + std::to_string(plan.weights.size());
    spec.dtype = dtype;
    spec.shape = std::move(shape);
    spec.sources.push_back({spec.name, spec.shape});
    plan.weights.push_back(spec);
    weights.buffers.push_back(encode(values, dtype));
    return {BufferRef::kWeight, static_cast<int32_t>(plan.weights.size() - 1)};
  }

  // A [n, k] weight block-quantized in `format` from `values` (ggml's
  // reference quantizer); `dtype` is the type kernels compute in.
  BufferRef quantWeight(int64_t n, int64_t k, const std::vector<float> &values,
                        QuantFormat format, DType dtype = DType::kF32) {
    BufferRef ref = weight({n, k}, {}, dtype);
    plan.weights.back().quant = format;
    weights.buffers.back() = quantizeRows(format, values.data(), n, k).value();
    return ref;
  }

  // Each activation gets its own region unless one is given.
  BufferRef activation(int64_t width, DType dtype = DType::kF32,
                       RowSpace rows = RowSpace::kTokens, int32_t region = -1) {
    ActivationSpec a;
    a.name = "a" + std::to_string(plan.activations.size());
    a.width = width;
    a.dtype = dtype;
    a.rows = rows;
    a.region = region >= 0 ? region : static_cast<int32_t>(plan.activations.size());
    plan.activations.push_back(a);
    return {BufferRef::kActivation, static_cast<int32_t>(plan.activations.size() - 1)};
  }

  // `layer` -1: the first layer of the kind without a spec (a new one if none).
  BufferRef convState(int64_t hidden, int64_t kernel, DType dtype = DType::kF32,
                      int32_t layer = -1) {
    layer = stateLayer(LayerKind::kConv, layer);
    plan.config.hidden_size = hidden;
    plan.config.conv_kernel = kernel;
    plan.conv_states.push_back({layer, hidden, kernel, dtype});
    return {BufferRef::kConvState, static_cast<int32_t>(plan.conv_states.size() - 1)};
  }

  // The key and value caches of one attention layer.
  std::pair<BufferRef, BufferRef> kvCache(int64_t kv_heads, int64_t head_dim,
                                          DType dtype = DType::kF32, int32_t layer = -1) {
    layer = stateLayer(LayerKind::kAttention, layer);
    ModelConfig &c = plan.config;
    c.num_key_value_heads = kv_heads;
    c.head_dim = head_dim;
    c.num_attention_heads = std::max(c.num_attention_heads, kv_heads);
    c.num_attention_heads += (kv_heads - c.num_attention_heads % kv_heads) % kv_heads;
    plan.kv_caches.push_back({layer, kv_heads, head_dim, dtype});
    int32_t i = static_cast<int32_t>(plan.kv_caches.size() - 1);
    return {{BufferRef::kKeyCache, i}, {BufferRef::kValueCache, i}};
  }

  Launch &launch(std::string op, std::vector<BufferRef> operands, std::vector<BufferRef> results,
                 std::map<std::string, int64_t> ints = {},
                 std::map<std::string, double> floats = {}) {
    Launch l;
    l.op = opNamed(op);
    l.operands = std::move(operands);
    l.results = std::move(results);
    setAttrs(l, ints, floats);
    plan.launches.push_back(std::move(l));
    return plan.launches.back();
  }

  Plan plan;
  HostWeights weights;

 private:
  // Makes `layer` (or, for -1, the first layer of `kind` that no state spec
  // holds yet, appended if none) a layer of `kind`.
  int32_t stateLayer(LayerKind kind, int32_t layer) {
    std::vector<LayerKind> &types = plan.config.layer_types;
    auto taken = [&](int32_t l) {
      for (const ConvStateSpec &s : plan.conv_states) if (s.layer == l) return true;
      for (const KvCacheSpec &s : plan.kv_caches) if (s.layer == l) return true;
      return false;
    };
    if (layer < 0) {
      layer = 0;
      while (layer < static_cast<int32_t>(types.size()) && (types[layer] != kind || taken(layer)))
        ++layer;
    }
    if (layer >= static_cast<int32_t>(types.size())) types.resize(layer + 1, kind);
    types[layer] = kind;
    return layer;
  }
};

// A ragged step: sequences of tokens with their slots and start positions.
struct TestStep {
  std::vector<int32_t> tokens, row_offsets{0}, slots, start_pos, logit_rows;

  TestStep &seq(std::vector<int32_t> toks, int32_t slot, int32_t start) {
    tokens.insert(tokens.end(), toks.begin(), toks.end());
    row_offsets.push_back(static_cast<int32_t>(tokens.size()));
    slots.push_back(slot);
    start_pos.push_back(start);
    return *this;
  }
  // n tokens of id 0 (for ops that ignore token ids).
  TestStep &seqN(int n, int32_t slot, int32_t start) {
    return seq(std::vector<int32_t>(n, 0), slot, start);
  }
  StepInputs inputs() const { return {tokens, row_offsets, slots, start_pos, logit_rows}; }
  int64_t rows() const { return static_cast<int64_t>(tokens.size()); }
};

// A plan loaded on a CPU device with a state pool.
struct Rig {
  std::unique_ptr<Device> device;
  std::unique_ptr<DeviceState> state;

  static absl::StatusOr<Rig> create(const PlanBuilder &b, StateShape shape = {4, 64},
                                    int threads = 3) {
    Rig rig;
    absl::StatusOr<CreatedDevice> created = createDevice({DeviceKind::kCpu, threads});
    if (!created.ok()) return created.status();
    rig.device = std::move(created->device);
    if (absl::Status s = rig.device->load(b.plan, b.weights); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<DeviceState>> state = rig.device->allocateState(shape);
    if (!state.ok()) return state.status();
    rig.state = std::move(*state);
    return rig;
  }

  absl::Status write(BufferRef ref, int64_t rows, const std::vector<float> &values) {
    return device->writeBuffer(ref, rows, state.get(), values);
  }
  std::vector<float> read(BufferRef ref, int64_t rows) {
    absl::StatusOr<std::vector<float>> v = device->readBuffer(ref, rows, state.get());
    return v.ok() ? *v : std::vector<float>{};
  }
  absl::Status run(const TestStep &step, std::span<float> logits = {}) {
    return device->execute(step.inputs(), *state, logits);
  }
};

}  // namespace lfm::testing

#endif  // LFM_TESTS_RUNTIME_RUNTIMETESTUTIL_H
