// The helpers that check functions use to validate a launch against Plan.h.
#include "OpContext.h"

#include "absl/strings/str_cat.h"

namespace lfm::cpu {

absl::Status opError(const OpContext &ctx, absl::string_view message) {
  std::string where = absl::StrCat("launch ", ctx.launch_index, " (", ctx.launch.op);
  if (ctx.launch.layer >= 0) absl::StrAppend(&where, ", layer ", ctx.launch.layer);
  return absl::InvalidArgumentError(absl::StrCat(where, "): ", message));
}

absl::Status expectArity(const OpContext &ctx, size_t operands, size_t results) {
  if (ctx.operands.size() != operands || ctx.results.size() != results) {
    return opError(ctx, absl::StrCat("expects ", operands, " operands and ", results,
                                     " results, has ", ctx.operands.size(), " and ",
                                     ctx.results.size()));
  }
  return absl::OkStatus();
}

absl::Status expectRowData(const OpContext &ctx, const Tensor &t, absl::string_view role) {
  if (t.ref.kind != BufferRef::kActivation && t.ref.kind != BufferRef::kLogits) {
    return opError(ctx, absl::StrCat(role, " must be an activation, is ", t.name));
  }
  return absl::OkStatus();
}

absl::Status expectActivation(const OpContext &ctx, const Tensor &t, absl::string_view role) {
  return expectKind(ctx, t, BufferRef::kActivation, role);
}

absl::Status expectWeight(const OpContext &ctx, const Tensor &t, absl::string_view role) {
  return expectKind(ctx, t, BufferRef::kWeight, role);
}

absl::Status expectKind(const OpContext &ctx, const Tensor &t, BufferRef::Kind kind,
                        absl::string_view role) {
  static constexpr const char *kNames[] = {"a step input", "a weight", "an activation",
                                           "a conv state", "a key cache", "a value cache",
                                           "the logits"};
  if (t.ref.kind != kind) {
    return opError(ctx, absl::StrCat(role, " must be ", kNames[kind], ", is ", t.name));
  }
  return absl::OkStatus();
}

absl::Status expectInput(const OpContext &ctx, const Tensor &t, InputId id) {
  static constexpr const char *kInputs[] = {"tokens", "row_offsets", "slots", "start_pos",
                                            "logit_rows"};
  int32_t i = static_cast<int32_t>(id);
  if (t.ref.kind != BufferRef::kInput || t.ref.index != i) {
    return opError(ctx, absl::StrCat("operand must be the step input ", kInputs[i], ", is ",
                                     t.name));
  }
  return absl::OkStatus();
}

absl::Status expectWidth(const OpContext &ctx, const Tensor &t, int64_t width,
                         absl::string_view role) {
  if (t.width != width) {
    return opError(ctx, absl::StrCat(role, " (", t.name, ") has width ", t.width, ", expected ",
                                     width));
  }
  return absl::OkStatus();
}

absl::Status expectSameSpace(const OpContext &ctx, const Tensor &a, const Tensor &b) {
  if (a.space != b.space) {
    return opError(ctx, absl::StrCat(a.name, " and ", b.name,
                                     " have different row spaces (tokens vs logit rows)"));
  }
  return absl::OkStatus();
}

absl::Status expectVector(const OpContext &ctx, const Tensor &t, int64_t elements,
                          absl::string_view role) {
  if (t.ref.kind != BufferRef::kWeight || t.rows * t.width != elements) {
    return opError(ctx, absl::StrCat(role, " must be a weight of ", elements,
                                     " elements, is ", t.name, " [", t.rows, " x ", t.width,
                                     "]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> intAttr(const OpContext &ctx, absl::string_view name) {
  auto it = ctx.launch.ints.find(std::string(name));
  if (it == ctx.launch.ints.end()) {
    return opError(ctx, absl::StrCat("missing integer attribute '", name, "'"));
  }
  return it->second;
}

absl::StatusOr<int64_t> intAttr(const OpContext &ctx, absl::string_view name, int64_t dflt) {
  auto it = ctx.launch.ints.find(std::string(name));
  return it == ctx.launch.ints.end() ? dflt : it->second;
}

absl::StatusOr<double> floatAttr(const OpContext &ctx, absl::string_view name) {
  auto it = ctx.launch.floats.find(std::string(name));
  if (it == ctx.launch.floats.end()) {
    return opError(ctx, absl::StrCat("missing float attribute '", name, "'"));
  }
  return it->second;
}

absl::Status expectCachePair(const OpContext &ctx, size_t first, int64_t width) {
  if (ctx.operands.size() < first + 2) return opError(ctx, "missing the key and value caches");
  const std::string key_role = absl::StrCat("operand ", first);
  const std::string value_role = absl::StrCat("operand ", first + 1);
  LFM_RETURN_IF_ERROR(expectKind(ctx, ctx.operands[first], BufferRef::kKeyCache, key_role));
  LFM_RETURN_IF_ERROR(expectKind(ctx, ctx.operands[first + 1], BufferRef::kValueCache, value_role));
  LFM_RETURN_IF_ERROR(expectWidth(ctx, ctx.operands[first], width, "the key cache"));
  return expectWidth(ctx, ctx.operands[first + 1], width, "the value cache");
}

absl::Status expectSequenceInputs(const OpContext &ctx, size_t first) {
  if (ctx.operands.size() < first + 3) return opError(ctx, "missing sequence inputs");
  LFM_RETURN_IF_ERROR(expectInput(ctx, ctx.operands[first], InputId::kRowOffsets));
  LFM_RETURN_IF_ERROR(expectInput(ctx, ctx.operands[first + 1], InputId::kSlots));
  return expectInput(ctx, ctx.operands[first + 2], InputId::kStartPos);
}

int64_t intAttrOr(const Launch &launch, absl::string_view name, int64_t dflt) {
  auto it = launch.ints.find(std::string(name));
  return it == launch.ints.end() ? dflt : it->second;
}

double floatAttrOr(const Launch &launch, absl::string_view name, double dflt) {
  auto it = launch.floats.find(std::string(name));
  return it == launch.floats.end() ? dflt : it->second;
}

}  // namespace lfm::cpu
