// The op schema: every op a plan may launch, defined once.
//
// For each op: its name, its operands and results with the buffer role each
// position takes, its attributes with their types, ranges and whether they
// are required, and whether it writes per-slot state. Plan building
// (codegen/PlanBuilder), plan verification (verifyPlan), the artifact
// encoding (an OpKind per launch), the CUDA emitter registry and the device
// op tables all read this table; the semantics of each op are documented
// beside its entry in runtime/src/schema/OpSchema.cpp.
//
// Adding an op: its ODS (ir/), an OpKind value here and in lfma.fbs
// (appended: the values are stored in artifacts), its entry in OpSchema.cpp,
// its shape rule in runtime/src/artifact/LaunchRules.cpp, one CUDA emitter
// (codegen/cuda/EmitterRegistry.cpp), one cpu kernel (runtime/src/cpu/
// OpTable.cpp). Every per-op table is indexed by OpKind and checked against
// kNumOpKinds at compile time.
#ifndef LFM_OPSCHEMA_H
#define LFM_OPSCHEMA_H

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace lfm {

// Every op. The values are the artifact's (lfma.fbs OpKind): append only,
// never renumber.
enum class OpKind : uint8_t {
  kEmbedding = 0,
  kRmsNorm = 1,
  kAddRmsNorm = 2,
  kAdd = 3,
  kMul = 4,
  kSilu = 5,
  kSlice = 6,
  kGatherRows = 7,
  kLinear = 8,
  kShortConv = 9,
  kGatedShortConv = 10,
  kRope = 11,
  kKvCacheWrite = 12,
  kAttention = 13,
  kQkNormRopeCache = 14,
};
inline constexpr int kNumOpKinds = 15;

// Integer and float attributes. An attribute has one type and one range
// whichever op takes it; Launch::ints / floats are indexed by it, and its
// name is its key in the artifact and in plan dumps.
enum class IntAttr : uint8_t {
  kGroup,         // rms_norm: columns normalized together (default: the width)
  kOffset,        // slice: the first column taken
  kPrologueNorm,  // linear: 1 = rms_norm x first (operand norm_w, floats eps)
  kEpilogue,      // linear: 0 none, 1 residual add, 2 SwiGLU (LinearEpilogue)
  kHeads,
  kKvHeads,
  kHeadDim,
};
inline constexpr int kNumIntAttrs = 7;
enum class FloatAttr : uint8_t { kEps, kTheta, kScale };
inline constexpr int kNumFloatAttrs = 3;

// linear's IntAttr::kEpilogue values.
enum class LinearEpilogue : int64_t { kNone = 0, kResidual = 1, kSwiglu = 2 };

// Names are C strings so that absl::StrCat, llvm::StringRef and std::string
// all take them (Debian's abseil has its own string_view).
struct IntAttrInfo {
  const char *name;
  int64_t min, max;  // the accepted range, inclusive
};
struct FloatAttrInfo {
  const char *name;  // every float attribute is positive and finite
};
const IntAttrInfo &attrInfo(IntAttr attr);
const FloatAttrInfo &attrInfo(FloatAttr attr);
inline const char *attrName(IntAttr attr) { return attrInfo(attr).name; }
inline const char *attrName(FloatAttr attr) { return attrInfo(attr).name; }

// What a buffer bound to an operand or result position must be
// (Plan.h's BufferRef kinds and step inputs).
enum class Role : uint8_t {
  kAct,
  kActOrLogits,
  kWeight,
  kConvState,
  kKeyCache,
  kValueCache,
  kTokens,
  kRowOffsets,
  kSlots,
  kStartPos,
  kLogitRows,
};
const char *roleName(Role role);  // "an activation", "the slots input", ...

// One operand or result position. An optional position is bound only when
// the int attribute `present_if` equals `present_value` (linear's norm_w
// and residual); positions are bound in table order.
struct OperandSpec {
  Role role;
  const char *name;
  std::optional<IntAttr> present_if = std::nullopt;
  int64_t present_value = 0;
};

template <typename Attr>
struct AttrUse {
  Attr attr;
  bool required;
};

struct OpSchema {
  OpKind kind;
  const char *name;  // the plan's and the kernels' name ("rms_norm")
  std::span<const OperandSpec> operands;
  std::span<const OperandSpec> results;
  std::span<const AttrUse<IntAttr>> ints;
  std::span<const AttrUse<FloatAttr>> floats;
  // Writes the slot state it is given (conv state, KV cache) in place.
  bool writes_state = false;
};

// Every op, in OpKind order.
std::span<const OpSchema> opSchemas();
const OpSchema &opSchema(OpKind kind);
// "?" for a value outside the enum (error messages about such a launch).
inline const char *opName(OpKind kind) {
  return static_cast<int>(kind) < kNumOpKinds ? opSchema(kind).name : "?";
}
// The op named `name`, if there is one.
std::optional<OpKind> findOp(std::string_view name);
// The op of an artifact's OpKind value, if there is one.
std::optional<OpKind> opKindFromValue(uint32_t value);
std::optional<IntAttr> findIntAttr(std::string_view name);
std::optional<FloatAttr> findFloatAttr(std::string_view name);

}  // namespace lfm

#endif  // LFM_OPSCHEMA_H
