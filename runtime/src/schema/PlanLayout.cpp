// Sizes every buffer of a plan and checks its buffer structure: what devices
// must know before they allocate anything or run a kernel.
#include "lfm/PlanLayout.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace lfm {
namespace {

bool isFloatType(DType t) {
  return t == DType::kF32 || t == DType::kBF16 || t == DType::kF16;
}

// a * b * ..., or -1 on overflow or a negative factor.
int64_t product(std::initializer_list<int64_t> factors) {
  int64_t p = 1;
  for (int64_t f : factors) {
    if (f < 0 || __builtin_mul_overflow(p, f, &p)) return -1;
  }
  return p;
}

std::string launchName(const Plan &plan, size_t i) {
  return absl::StrCat("launch ", i, " (", opName(plan.launches[i].op), ")");
}

absl::Status checkRef(const Plan &plan, size_t launch, BufferRef ref) {
  int64_t limit = 0;
  switch (ref.kind) {
    case BufferRef::kInput: limit = kNumInputs; break;
    case BufferRef::kWeight: limit = static_cast<int64_t>(plan.weights.size()); break;
    case BufferRef::kActivation: limit = static_cast<int64_t>(plan.activations.size()); break;
    case BufferRef::kConvState: limit = static_cast<int64_t>(plan.conv_states.size()); break;
    case BufferRef::kKeyCache:
    case BufferRef::kValueCache: limit = static_cast<int64_t>(plan.kv_caches.size()); break;
    case BufferRef::kLogits: return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(absl::StrCat(launchName(plan, launch),
                                                     ": unknown buffer kind ",
                                                     static_cast<int>(ref.kind)));
  }
  if (ref.index < 0 || ref.index >= limit) {
    return absl::InvalidArgumentError(absl::StrCat(launchName(plan, launch), ": buffer index ",
                                                   ref.index, " out of range (", limit,
                                                   " of its kind)"));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t weightElements(const WeightSpec &spec) {
  int64_t p = 1;
  for (int64_t d : spec.shape) {
    if (d < 0 || __builtin_mul_overflow(p, d, &p)) return -1;
  }
  return p;
}

int64_t weightStorageBytes(const WeightSpec &spec) {
  if (spec.quant) {
    if (spec.shape.size() != 2) return -1;
    absl::StatusOr<int64_t> bytes = quantMatrixBytes(*spec.quant, spec.shape[0], spec.shape[1]);
    return bytes.ok() ? *bytes : -1;
  }
  int64_t elements = weightElements(spec);
  return elements < 0 ? -1 : product({elements, dtypeSize(spec.dtype)});
}

absl::StatusOr<int64_t> convStateBytes(const ConvStateSpec &spec, const StateShape &shape) {
  int64_t bytes = product({shape.slots, spec.kernel - 1, spec.hidden, dtypeSize(spec.dtype)});
  if (bytes < 0) {
    return absl::InvalidArgumentError(absl::StrCat("conv state of layer ", spec.layer,
                                                   ": size overflows for ", shape.slots,
                                                   " slots"));
  }
  return bytes;
}

absl::StatusOr<int64_t> kvCacheBytes(const KvCacheSpec &spec, const StateShape &shape) {
  int64_t bytes = product(
      {shape.slots, shape.max_seq_len, spec.kv_heads, spec.head_dim, dtypeSize(spec.dtype)});
  if (bytes < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KV cache of layer ", spec.layer, ": size overflows for ", shape.slots, " slots of ",
        shape.max_seq_len, " tokens"));
  }
  return bytes;
}

absl::StatusOr<PlanLayout> layoutPlan(const Plan &plan) {
  PlanLayout layout;
  if (plan.config.vocab_size < 1) return absl::InvalidArgumentError("plan: vocab_size must be >= 1");
  if (plan.max_tokens_per_step < 1) {
    return absl::InvalidArgumentError("plan: max_tokens_per_step must be >= 1");
  }
  layout.max_rows = plan.max_tokens_per_step;

  for (size_t i = 0; i < plan.weights.size(); ++i) {
    const WeightSpec &w = plan.weights[i];
    int64_t bytes = weightStorageBytes(w);
    if (!isFloatType(w.dtype) || bytes < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("plan: weight ", i, " (", w.name, ") has a bad dtype or shape"));
    }
    layout.weight_bytes.push_back(bytes);
  }

  const int64_t num_acts = static_cast<int64_t>(plan.activations.size());
  for (int64_t i = 0; i < num_acts; ++i) {
    const ActivationSpec &a = plan.activations[i];
    if (a.width < 1 || !isFloatType(a.dtype) || a.region < 0 || a.region >= num_acts ||
        (a.rows != RowSpace::kTokens && a.rows != RowSpace::kLogitRows)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "plan: activation ", i, " (", a.name,
          ") needs width >= 1, a float dtype, a known row space and a region in [0, ", num_acts,
          ")"));
    }
    int64_t bytes = product({layout.max_rows, a.width, dtypeSize(a.dtype)});
    if (bytes < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("plan: activation ", i, " (", a.name, ") size overflows"));
    }
    if (a.region >= static_cast<int64_t>(layout.region_bytes.size())) {
      layout.region_bytes.resize(a.region + 1, 0);
    }
    layout.region_bytes[a.region] = std::max(layout.region_bytes[a.region], bytes);
  }
  for (const ConvStateSpec &c : plan.conv_states) {
    if (c.hidden < 1 || c.kernel < 1 || !isFloatType(c.dtype)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "plan: conv state of layer ", c.layer, " needs hidden >= 1, kernel >= 1, a float dtype"));
    }
  }
  for (const KvCacheSpec &k : plan.kv_caches) {
    if (k.kv_heads < 1 || k.head_dim < 1 || !isFloatType(k.dtype)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "plan: KV cache of layer ", k.layer,
          " needs kv_heads >= 1, head_dim >= 1, a float dtype"));
    }
  }
  layout.logits_bytes = product({layout.max_rows, plan.config.vocab_size, 4});
  if (layout.logits_bytes < 0) return absl::InvalidArgumentError("plan: logits size overflows");

  // Buffer references, results, and the span of launches each activation is
  // live over (first to last launch that touches it).
  std::vector<int64_t> first(num_acts, -1), last(num_acts, -1);
  for (size_t li = 0; li < plan.launches.size(); ++li) {
    const Launch &launch = plan.launches[li];
    for (const std::vector<BufferRef> *refs : {&launch.operands, &launch.results}) {
      for (BufferRef ref : *refs) {
        if (absl::Status s = checkRef(plan, li, ref); !s.ok()) return s;
        if (ref.kind == BufferRef::kActivation) {
          if (first[ref.index] < 0) first[ref.index] = static_cast<int64_t>(li);
          last[ref.index] = static_cast<int64_t>(li);
        }
      }
    }
    for (size_t ri = 0; ri < launch.results.size(); ++ri) {
      BufferRef r = launch.results[ri];
      if (r.kind != BufferRef::kActivation && r.kind != BufferRef::kLogits) {
        return absl::InvalidArgumentError(absl::StrCat(
            launchName(plan, li), ": result ", ri, " must be an activation or the logits"));
      }
      if (r.kind != BufferRef::kActivation) continue;
      // A kernel reads its operands while it writes its results, so a result
      // never shares memory with anything else of its launch (the planner
      // gives a value the region of one that died at an earlier launch).
      const int32_t region = plan.activations[r.index].region;
      for (size_t rj = 0; rj < ri; ++rj) {
        BufferRef other = launch.results[rj];
        if (other.kind == BufferRef::kActivation &&
            plan.activations[other.index].region == region) {
          return absl::InvalidArgumentError(absl::StrCat(
              launchName(plan, li), ": results ", rj, " and ", ri, " share region ", region));
        }
      }
      for (size_t oi = 0; oi < launch.operands.size(); ++oi) {
        BufferRef op = launch.operands[oi];
        if (op.kind == BufferRef::kActivation && plan.activations[op.index].region == region) {
          return absl::InvalidArgumentError(absl::StrCat(
              launchName(plan, li), ": result ", ri, " shares region ", region, " with operand ",
              oi, " (a result needs memory of its own)"));
        }
      }
    }
  }

  // Two activations of one region must not be live at one launch.
  for (int64_t a = 0; a < num_acts; ++a) {
    if (first[a] < 0) continue;
    for (int64_t b = a + 1; b < num_acts; ++b) {
      if (first[b] < 0 || plan.activations[a].region != plan.activations[b].region) continue;
      if (!(last[a] < first[b] || last[b] < first[a])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "plan: activations ", a, " (", plan.activations[a].name, ") and ", b, " (",
            plan.activations[b].name, ") share region ", plan.activations[a].region,
            " while both are live (launches ", first[a], "..", last[a], " and ", first[b], "..",
            last[b], ")"));
      }
    }
  }

  layout.logits_rows = logitsRowSpace(plan);
  for (const Launch &launch : plan.launches) {
    for (BufferRef r : launch.results) layout.writes_logits |= r.kind == BufferRef::kLogits;
  }
  return layout;
}

RowSpace logitsRowSpace(const Plan &plan) {
  for (const Launch &launch : plan.launches) {
    for (BufferRef r : launch.results) {
      if (r.kind != BufferRef::kLogits) continue;
      const bool reads_tokens =
          !launch.operands.empty() && launch.operands[0].kind == BufferRef::kActivation &&
          launch.operands[0].index >= 0 &&
          static_cast<size_t>(launch.operands[0].index) < plan.activations.size() &&
          plan.activations[launch.operands[0].index].rows == RowSpace::kTokens;
      return reads_tokens ? RowSpace::kTokens : RowSpace::kLogitRows;
    }
  }
  return RowSpace::kLogitRows;
}

BufferInfo describeBuffer(const Plan &plan, BufferRef ref) {
  static constexpr const char *kInputs[] = {"tokens", "row_offsets", "slots", "start_pos",
                                            "logit_rows"};
  BufferInfo b;
  b.ref = ref;
  switch (ref.kind) {
    case BufferRef::kInput:
      b.dtype = DType::kI32;
      b.width = 1;
      b.name = absl::StrCat("step input ",
                            ref.index >= 0 && ref.index < kNumInputs ? kInputs[ref.index] : "?");
      break;
    case BufferRef::kWeight: {
      const WeightSpec &w = plan.weights[ref.index];
      b.dtype = w.dtype;
      b.weight_rows = w.shape.size() >= 2 ? w.shape[0] : 1;
      b.width = b.weight_rows > 0 ? weightElements(w) / b.weight_rows : 0;
      b.name = absl::StrCat("weight ", ref.index, " (", w.name, ")");
      break;
    }
    case BufferRef::kActivation: {
      const ActivationSpec &a = plan.activations[ref.index];
      b.dtype = a.dtype;
      b.space = a.rows;
      b.width = a.width;
      b.name = absl::StrCat("activation ", ref.index, " (", a.name, ")");
      break;
    }
    case BufferRef::kConvState: {
      const ConvStateSpec &c = plan.conv_states[ref.index];
      b.dtype = c.dtype;
      b.width = c.hidden;
      b.rows_per_slot = c.kernel - 1;
      b.name = absl::StrCat("conv state ", ref.index, " (layer ", c.layer, ")");
      break;
    }
    case BufferRef::kKeyCache:
    case BufferRef::kValueCache: {
      const KvCacheSpec &k = plan.kv_caches[ref.index];
      b.dtype = k.dtype;
      b.width = k.kv_heads * k.head_dim;
      b.name = absl::StrCat(ref.kind == BufferRef::kKeyCache ? "key" : "value", " cache ",
                            ref.index, " (layer ", k.layer, ")");
      break;
    }
    case BufferRef::kLogits:
      b.dtype = DType::kF32;
      b.space = logitsRowSpace(plan);
      b.width = plan.config.vocab_size;
      b.name = "the logits";
      break;
  }
  return b;
}

}  // namespace lfm
