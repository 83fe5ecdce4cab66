// verifyPlan: the semantic checks of a plan, table by table, then each launch
// (LaunchRules.cpp). Bounds are generous for any LFM2 model but keep a
// hostile plan from asking a device for absurd allocations.
#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "artifact/LaunchRules.h"
#include "artifact/Limits.h"
#include "lfm/Artifact.h"
#include "lfm/PlanLayout.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

using namespace limits;

constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr int64_t kMaxWidth = int64_t{1} << 24;  // columns of any activation
constexpr int64_t kMaxHeads = int64_t{1} << 12;
constexpr int64_t kMaxConvKernel = 64;
constexpr int64_t kMaxWeightElements = int64_t{1} << 40;
constexpr int64_t kMaxSeqLen = int64_t{1} << 24;
constexpr int64_t kMaxSlots = int64_t{1} << 16;

template <typename... Parts>
absl::Status invalid(const Parts &...parts) {
  return absl::InvalidArgumentError(absl::StrCat(parts...));
}

absl::Status inRange(absl::string_view field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi)
    return invalid(field, ": must be in [", lo, ", ", hi, "], got ", value);
  return absl::OkStatus();
}

absl::Status positiveFinite(absl::string_view field, double value) {
  if (!std::isfinite(value) || value <= 0)
    return invalid(field, ": must be positive and finite, got ", value);
  return absl::OkStatus();
}

absl::Status floatDType(absl::string_view field, DType t) {
  if (t == DType::kI32) return invalid(field, ": must be f32, bf16 or f16, got i32");
  return absl::OkStatus();
}

absl::Status countAtMost(absl::string_view table, size_t count, int64_t max) {
  if (count > static_cast<uint64_t>(max))
    return invalid(table, ": ", count, " entries, at most ", max, " allowed");
  return absl::OkStatus();
}

absl::Status verifyConfig(const ModelConfig &c) {
  if (c.model_type.empty()) return invalid("plan.config.model_type: empty");
  LFM_RETURN_IF_ERROR(inRange("plan.config.vocab_size", c.vocab_size, 1, kMaxVocab));
  LFM_RETURN_IF_ERROR(inRange("plan.config.hidden_size", c.hidden_size, 1, kMaxWidth));
  LFM_RETURN_IF_ERROR(inRange("plan.config.intermediate_size", c.intermediate_size, 1, kMaxWidth));
  LFM_RETURN_IF_ERROR(
      inRange("plan.config.num_attention_heads", c.num_attention_heads, 1, kMaxHeads));
  LFM_RETURN_IF_ERROR(
      inRange("plan.config.num_key_value_heads", c.num_key_value_heads, 1, c.num_attention_heads));
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    return invalid("plan.config: num_attention_heads (", c.num_attention_heads,
                   ") is not a multiple of num_key_value_heads (", c.num_key_value_heads, ")");
  LFM_RETURN_IF_ERROR(inRange("plan.config.head_dim", c.head_dim, 1, kMaxWidth / kMaxHeads));
  LFM_RETURN_IF_ERROR(inRange("plan.config.conv_kernel", c.conv_kernel, 1, kMaxConvKernel));
  LFM_RETURN_IF_ERROR(positiveFinite("plan.config.norm_eps", c.norm_eps));
  LFM_RETURN_IF_ERROR(positiveFinite("plan.config.rope_theta", c.rope_theta));
  LFM_RETURN_IF_ERROR(inRange("plan.config.max_position_embeddings", c.max_position_embeddings, 1,
                              int64_t{1} << 40));
  if (c.torch_dtype != "float32" && c.torch_dtype != "bfloat16" && c.torch_dtype != "float16")
    return invalid("plan.config.torch_dtype: '", c.torch_dtype,
                   "' is not float32, bfloat16 or float16");
  return inRange("plan.config: number of layers (layer_types)", c.numLayers(), 1, kMaxLayers);
}

absl::Status verifyDefaults(const Plan &p) {
  LFM_RETURN_IF_ERROR(floatDType("plan.dtype", p.dtype));
  LFM_RETURN_IF_ERROR(inRange("plan.default_max_seq_len", p.default_max_seq_len, 1, kMaxSeqLen));
  LFM_RETURN_IF_ERROR(inRange("plan.default_slots", p.default_slots, 1, kMaxSlots));
  return inRange("plan.max_tokens_per_step", p.max_tokens_per_step, 1, kMaxSeqLen);
}

// Each dim in [1, max] and the product at most `max`; returns the product.
absl::StatusOr<int64_t> numel(absl::string_view field, const std::vector<int64_t> &shape) {
  if (shape.empty() || shape.size() > kMaxRank)
    return invalid(field, ": rank ", shape.size(), " is not in [1, ", kMaxRank, "]");
  int64_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 1 || shape[i] > kMaxWeightElements / n)
      return invalid(field, "[", i, "]: ", shape[i],
                     " is not a positive size (or the product exceeds 2^40 elements)");
    n *= shape[i];
  }
  return n;
}

absl::Status verifyWeights(const Plan &p) {
  LFM_RETURN_IF_ERROR(countAtMost("plan.weights", p.weights.size(), kMaxWeights));
  std::set<absl::string_view> names;
  for (size_t i = 0; i < p.weights.size(); ++i) {
    const WeightSpec &w = p.weights[i];
    std::string field = absl::StrCat("plan.weights[", i, "] '", w.name, "'");
    if (w.name.empty()) return invalid(field, ": empty name");
    if (!names.insert(w.name).second) return invalid(field, ": duplicate name");
    LFM_RETURN_IF_ERROR(floatDType(field + ".dtype", w.dtype));
    int64_t total;
    LFM_ASSIGN_OR_RETURN(total, numel(field + ".shape", w.shape));
    if (w.quant) {
      // Rows of whole blocks: [rows, K] with K a multiple of the block.
      if (w.shape.size() != 2)
        return invalid(field, ": quantized as ", quantFormatName(*w.quant), " but has rank ",
                       w.shape.size(), ", expected 2");
      absl::StatusOr<int64_t> bytes = quantMatrixBytes(*w.quant, w.shape[0], w.shape[1]);
      if (!bytes.ok()) return invalid(field, ": ", bytes.status().message());
    }
    if (w.sources.empty() || w.sources.size() > static_cast<size_t>(kMaxSourcesPerWeight))
      return invalid(field, ".sources: ", w.sources.size(), " sources, expected 1 to ",
                     kMaxSourcesPerWeight);
    int64_t sum = 0;
    for (size_t j = 0; j < w.sources.size(); ++j) {
      std::string source = absl::StrCat(field, ".sources[", j, "]");
      if (w.sources[j].tensor.empty()) return invalid(source, ".tensor: empty");
      int64_t n;
      LFM_ASSIGN_OR_RETURN(n, numel(source + ".shape", w.sources[j].shape));
      sum += n;
      if (sum > total) break;
    }
    if (sum != total)
      return invalid(field, ": its sources hold ", sum > total ? "more than " : "", sum,
                     " elements but its shape holds ", total);
  }
  return absl::OkStatus();
}

absl::Status verifyActivations(const Plan &p) {
  LFM_RETURN_IF_ERROR(countAtMost("plan.activations", p.activations.size(), kMaxActivations));
  for (size_t i = 0; i < p.activations.size(); ++i) {
    const ActivationSpec &a = p.activations[i];
    std::string field = absl::StrCat("plan.activations[", i, "] '", a.name, "'");
    LFM_RETURN_IF_ERROR(inRange(field + ".width", a.width, 1, kMaxWidth));
    LFM_RETURN_IF_ERROR(floatDType(field + ".dtype", a.dtype));
    LFM_RETURN_IF_ERROR(
        inRange(field + ".region", a.region, 0, static_cast<int64_t>(p.activations.size()) - 1));
  }
  return absl::OkStatus();
}

// A state spec's layer: in range, of the right kind, and not given twice.
absl::Status stateLayer(absl::string_view field, int32_t layer, LayerKind kind,
                        const ModelConfig &c, std::set<int32_t> &seen) {
  LFM_RETURN_IF_ERROR(inRange(absl::StrCat(field, ".layer"), layer, 0, c.numLayers() - 1));
  if (c.layer_types[layer] != kind)
    return invalid(field, ".layer: layer ", layer, " is not a",
                   kind == LayerKind::kConv ? " conv" : "n attention", " layer");
  if (!seen.insert(layer).second) return invalid(field, ".layer: layer ", layer, " has two specs");
  return absl::OkStatus();
}

absl::Status verifyStateSpecs(const Plan &p) {
  const ModelConfig &c = p.config;
  std::set<int32_t> seen;
  LFM_RETURN_IF_ERROR(countAtMost("plan.conv_states", p.conv_states.size(), c.numConvLayers()));
  for (size_t i = 0; i < p.conv_states.size(); ++i) {
    const ConvStateSpec &s = p.conv_states[i];
    std::string field = absl::StrCat("plan.conv_states[", i, "]");
    LFM_RETURN_IF_ERROR(stateLayer(field, s.layer, LayerKind::kConv, c, seen));
    LFM_RETURN_IF_ERROR(
        inRange(field + ".hidden (config hidden_size)", s.hidden, c.hidden_size, c.hidden_size));
    LFM_RETURN_IF_ERROR(
        inRange(field + ".kernel (config conv_kernel)", s.kernel, c.conv_kernel, c.conv_kernel));
    LFM_RETURN_IF_ERROR(floatDType(field + ".dtype", s.dtype));
  }
  LFM_RETURN_IF_ERROR(countAtMost("plan.kv_caches", p.kv_caches.size(), c.numAttentionLayers()));
  for (size_t i = 0; i < p.kv_caches.size(); ++i) {
    const KvCacheSpec &s = p.kv_caches[i];
    std::string field = absl::StrCat("plan.kv_caches[", i, "]");
    LFM_RETURN_IF_ERROR(stateLayer(field, s.layer, LayerKind::kAttention, c, seen));
    LFM_RETURN_IF_ERROR(inRange(field + ".kv_heads (config num_key_value_heads)", s.kv_heads,
                                c.num_key_value_heads, c.num_key_value_heads));
    LFM_RETURN_IF_ERROR(
        inRange(field + ".head_dim (config head_dim)", s.head_dim, c.head_dim, c.head_dim));
    LFM_RETURN_IF_ERROR(floatDType(field + ".dtype", s.dtype));
  }
  return absl::OkStatus();
}

// Every BufferRef indexes its table.
absl::Status verifyRef(const Plan &p, absl::string_view field, const BufferRef &r) {
  auto index = [&](size_t size, absl::string_view table) {
    if (r.index < 0 || static_cast<size_t>(r.index) >= size)
      return invalid(field, ": index ", r.index, " is outside ", table, " (", size, " entries)");
    return absl::OkStatus();
  };
  switch (r.kind) {
    case BufferRef::kInput:
      return index(kNumInputs, "the step inputs");
    case BufferRef::kWeight:
      return index(p.weights.size(), "plan.weights");
    case BufferRef::kActivation:
      return index(p.activations.size(), "plan.activations");
    case BufferRef::kConvState:
      return index(p.conv_states.size(), "plan.conv_states");
    case BufferRef::kKeyCache:
    case BufferRef::kValueCache:
      return index(p.kv_caches.size(), "plan.kv_caches");
    case BufferRef::kLogits:
      return absl::OkStatus();
  }
  return invalid(field, ": unknown buffer kind ", static_cast<int>(r.kind));
}

absl::Status verifyLaunches(const Plan &p) {
  LFM_RETURN_IF_ERROR(countAtMost("plan.launches", p.launches.size(), kMaxLaunches));
  // Safe before the refs are checked: it checks the one index it reads.
  const RowSpace logits_rows = logitsRowSpace(p);
  for (size_t i = 0; i < p.launches.size(); ++i) {
    const Launch &l = p.launches[i];
    std::string field = absl::StrCat("plan.launches[", i, "] (", opName(l.op), ")");
    LFM_RETURN_IF_ERROR(inRange(field + ".layer", l.layer, -1, p.config.numLayers() - 1));
    if (l.kernel < -1) return invalid(field, ".kernel: ", l.kernel, " is not an index or -1");
    if (l.large_rows_kernel < -1)
      return invalid(field, ".large_rows_kernel: ", l.large_rows_kernel,
                     " is not an index or -1");
    if (l.large_rows_kernel >= 0) {
      if (l.kernel < 0)
        return invalid(field, ".large_rows_kernel: set without a default kernel");
      LFM_RETURN_IF_ERROR(inRange(field + ".large_rows_threshold", l.large_rows_threshold, 1,
                                  kMaxSeqLen));
    } else if (l.large_rows_threshold != 0) {
      return invalid(field, ".large_rows_threshold: ", l.large_rows_threshold,
                     " without a large_rows_kernel (must be 0)");
    }
    const int basis = static_cast<int>(l.large_rows_basis);
    if (basis > static_cast<int>(LargeRowsBasis::kLongestSequence))
      return invalid(field, ".large_rows_basis: ", basis, " is not 0 (launch rows) or 1 "
                     "(longest sequence)");
    if (l.large_rows_kernel < 0 && l.large_rows_basis != LargeRowsBasis::kLaunchRows)
      return invalid(field, ".large_rows_basis: ", basis,
                     " without a large_rows_kernel (must be 0)");
    for (size_t j = 0; j < l.operands.size(); ++j)
      LFM_RETURN_IF_ERROR(verifyRef(p, absl::StrCat(field, ".operands[", j, "]"), l.operands[j]));
    for (size_t j = 0; j < l.results.size(); ++j)
      LFM_RETURN_IF_ERROR(verifyRef(p, absl::StrCat(field, ".results[", j, "]"), l.results[j]));
    LFM_RETURN_IF_ERROR(verifyLaunch(p, i, logits_rows));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status verifyPlan(const Plan &plan) {
  LFM_RETURN_IF_ERROR(verifyConfig(plan.config));
  LFM_RETURN_IF_ERROR(verifyDefaults(plan));
  LFM_RETURN_IF_ERROR(verifyWeights(plan));
  LFM_RETURN_IF_ERROR(verifyActivations(plan));
  LFM_RETURN_IF_ERROR(verifyStateSpecs(plan));
  return verifyLaunches(plan);
}

}  // namespace lfm
