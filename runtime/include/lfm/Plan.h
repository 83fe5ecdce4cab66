// The execution plan: what the compiler produced and every device executes.
//
// A plan is an ordered list of kernel launches. Each launch names the op it
// implements, its attributes and the buffers it reads and writes. Buffers are
// the step inputs, weights (built from checkpoint tensors per the weight
// plan), activations (rows x width, in an arena shared by liveness), the
// per-slot conv state and KV caches, and the logits output.
//
// Plain data with no dependencies: the compiler builds it, the artifact
// serializes it (runtime/include/lfm/Artifact.h), devices execute it.
//
// ## Step inputs (BufferRef::kInput, indexed by InputId)
//   tokens      i32 [T]    the tokens of this step, all sequences concatenated
//   row_offsets i32 [N+1]  sequence i owns tokens row_offsets[i]..row_offsets[i+1]
//   slots       i32 [N]    the state slot of each sequence
//   start_pos   i32 [N]    tokens already in the sequence's cache
//   logit_rows  i32 [R]    the token rows (0..T-1) whose logits are computed
// The position of token t of sequence i is start_pos[i] + t - row_offsets[i].
//
// ## Activations
//   Each activation has `width` columns and T rows (RowSpace::kTokens) or R
//   rows (RowSpace::kLogitRows), row-major, in the plan's activation dtype.
//   Activations with the same `region` share memory (their lifetimes do not
//   overlap); a region holds max_rows * max(width * sizeof(dtype)) bytes.
//
// ## State, per slot
//   conv state of conv layer c: [conv_kernel - 1][hidden] (the last L-1 inputs
//     of the causal conv, oldest first; rows coalesce over hidden on the GPU).
//   KV cache of attention layer a: K and V each [max_seq_len][kv_heads][head_dim].
//
// ## Ops
//   Each launch runs one op of the op schema (lfm/OpSchema.h): its operands
//   and results in the order and roles the schema lists, its attributes
//   typed and indexed by the schema's IntAttr / FloatAttr (Launch::attr). What each
//   op computes is documented beside its entry in runtime/src/schema/OpSchema.cpp.
//
// Every device computes in float32 whatever the storage dtype and rounds to
// the activation dtype on store.
#ifndef LFM_PLAN_H
#define LFM_PLAN_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lfm/ModelConfig.h"
#include "lfm/OpSchema.h"
#include "lfm/QuantFormats.h"

namespace lfm {

enum class DType : uint8_t { kF32 = 0, kBF16 = 1, kF16 = 2, kI32 = 3 };

inline int64_t dtypeSize(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kBF16: return 2;
    case DType::kF16: return 2;
    case DType::kI32: return 4;
  }
  return 0;
}
inline const char *dtypeName(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kBF16: return "bf16";
    case DType::kF16: return "f16";
    case DType::kI32: return "i32";
  }
  return "?";
}

enum class InputId : int32_t {
  kTokens = 0, kRowOffsets = 1, kSlots = 2, kStartPos = 3, kLogitRows = 4
};
inline constexpr int32_t kNumInputs = 5;

struct BufferRef {
  enum Kind : uint8_t {
    kInput = 0, kWeight = 1, kActivation = 2, kConvState = 3,
    kKeyCache = 4, kValueCache = 5, kLogits = 6
  };
  Kind kind = kActivation;
  // Index into the table for the kind: InputId, Plan::weights,
  // Plan::activations, Plan::conv_states, Plan::kv_caches (for K and V).
  // Unused for kLogits.
  int32_t index = 0;

  bool operator==(const BufferRef &o) const {
    return kind == o.kind && index == o.index;
  }
};

enum class RowSpace : uint8_t { kTokens = 0, kLogitRows = 1 };

struct ActivationSpec {
  std::string name;  // for dumps and errors, e.g. "layer3.conv_out"
  int64_t width = 0;
  DType dtype = DType::kF32;
  RowSpace rows = RowSpace::kTokens;
  int32_t region = 0;
};

// One checkpoint tensor that a weight is built from, with the shape the
// checkpoint must have for it.
struct WeightSource {
  std::string tensor;  // e.g. "model.layers.3.conv.in_proj.weight"
  std::vector<int64_t> shape;
};

// A device weight buffer: its sources are converted to `dtype` and
// concatenated along dimension 0, then viewed as `shape` (e.g. q|k|v rows
// into one QKV matrix, or a conv weight [H,1,L] viewed as [H,L]).
//
// With `quant` the buffer holds the [rows, K] matrix block-quantized in that
// format (lfm/QuantFormats.h: quantMatrixBytes bytes, rows one after
// another); `dtype` is then the type kernels dequantize into and compute in.
// Only linear weights and embedding tables may be quantized (verifyPlan).
struct WeightSpec {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::vector<WeightSource> sources;
  std::optional<QuantFormat> quant;
};

struct ConvStateSpec {
  int32_t layer = 0;  // model layer index
  int64_t hidden = 0;
  int64_t kernel = 0;  // conv_L_cache; per slot [kernel-1][hidden]
  DType dtype = DType::kF32;
};

struct KvCacheSpec {
  int32_t layer = 0;  // model layer index
  int64_t kv_heads = 0;
  int64_t head_dim = 0;  // per slot K and V each [max_seq_len][kv_heads][head_dim]
  DType dtype = DType::kF32;
};

// What a launch's large_rows_threshold is compared with.
enum class LargeRowsBasis : uint8_t {
  // The launch's row count (launchRows): the tiled GEMM form of linear reads
  // each weight once per tile of rows, whichever sequences they belong to.
  kLaunchRows = 0,
  // The most rows one sequence has in the step: the tiled flash-attention
  // form shares K/V loads among one sequence's query rows only, so a batch
  // of single-token decodes stays with the split-KV form.
  kLongestSequence = 1,
};

struct Launch {
  OpKind op = OpKind::kEmbedding;  // opName(op) is its name in dumps and kernels
  // Attributes, indexed by the schema's IntAttr / FloatAttr (empty: not set);
  // read and write them through attr/has/set/clear. The artifact stores
  // them by name.
  std::array<std::optional<int64_t>, kNumIntAttrs> ints{};
  std::array<std::optional<double>, kNumFloatAttrs> floats{};
  std::vector<BufferRef> operands;
  std::vector<BufferRef> results;
  int32_t layer = -1;   // model layer it belongs to, -1 for none (for dumps)
  int32_t kernel = -1;  // index of its GPU kernel in the artifact, -1 for none
  // An alternative kernel for steps with many rows (a tiled GEMM for long
  // prefill chunks beside the GEMV-form default): index into the artifact's
  // kernel table, -1 for none. Devices run it instead of `kernel` when the
  // step's rows, counted as large_rows_basis says, are >=
  // large_rows_threshold (>= 1): lfm/KernelAbi.h's selectKernel.
  int32_t large_rows_kernel = -1;
  int64_t large_rows_threshold = 0;
  LargeRowsBasis large_rows_basis = LargeRowsBasis::kLaunchRows;

  // Typed attribute access: the value, or `fallback` when the launch has
  // none (verifyPlan has proven the required ones present).
  int64_t attr(IntAttr a, int64_t fallback = 0) const {
    return ints[static_cast<size_t>(a)].value_or(fallback);
  }
  double attr(FloatAttr a, double fallback = 0.0) const {
    return floats[static_cast<size_t>(a)].value_or(fallback);
  }
  bool has(IntAttr a) const { return ints[static_cast<size_t>(a)].has_value(); }
  bool has(FloatAttr a) const { return floats[static_cast<size_t>(a)].has_value(); }
  void set(IntAttr a, int64_t value) { ints[static_cast<size_t>(a)] = value; }
  void set(FloatAttr a, double value) { floats[static_cast<size_t>(a)] = value; }
  void clear(IntAttr a) { ints[static_cast<size_t>(a)].reset(); }
  void clear(FloatAttr a) { floats[static_cast<size_t>(a)].reset(); }
};

struct Plan {
  ModelConfig config;
  DType dtype = DType::kF32;  // weights (but 1-D norm weights), activations, state
  std::vector<WeightSpec> weights;
  std::vector<ActivationSpec> activations;
  std::vector<ConvStateSpec> conv_states;
  std::vector<KvCacheSpec> kv_caches;
  std::vector<Launch> launches;
  // Defaults the runtime uses unless told otherwise.
  int64_t default_max_seq_len = 4096;
  int64_t default_slots = 8;
  int64_t max_tokens_per_step = 512;
};

// The row count a launch works on in a step of `tokens` token rows and
// `logit_rows` logit rows: that of its first result's row space (logits and
// logit-row activations have R rows; everything else T).
inline int64_t launchRows(const Plan &plan, const Launch &launch, int64_t tokens,
                          int64_t logit_rows) {
  if (launch.results.empty()) return tokens;
  const BufferRef &r = launch.results.front();
  if (r.kind == BufferRef::kLogits) return logit_rows;
  if (r.kind == BufferRef::kActivation && r.index >= 0 &&
      static_cast<size_t>(r.index) < plan.activations.size() &&
      plan.activations[r.index].rows == RowSpace::kLogitRows)
    return logit_rows;
  return tokens;
}

}  // namespace lfm

#endif  // LFM_PLAN_H
