#include "artifact/LaunchRules.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "lfm/OpSchema.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

bool roleAccepts(Role r, const BufferRef &ref) {
  auto input = [&](InputId id) {
    return ref.kind == BufferRef::kInput && ref.index == static_cast<int32_t>(id);
  };
  switch (r) {
    case Role::kAct:
      return ref.kind == BufferRef::kActivation;
    case Role::kActOrLogits:
      return ref.kind == BufferRef::kActivation || ref.kind == BufferRef::kLogits;
    case Role::kWeight:
      return ref.kind == BufferRef::kWeight;
    case Role::kConvState:
      return ref.kind == BufferRef::kConvState;
    case Role::kKeyCache:
      return ref.kind == BufferRef::kKeyCache;
    case Role::kValueCache:
      return ref.kind == BufferRef::kValueCache;
    case Role::kTokens:
      return input(InputId::kTokens);
    case Role::kRowOffsets:
      return input(InputId::kRowOffsets);
    case Role::kSlots:
      return input(InputId::kSlots);
    case Role::kStartPos:
      return input(InputId::kStartPos);
    case Role::kLogitRows:
      return input(InputId::kLogitRows);
  }
  return false;
}

std::string describe(const Plan &plan, const BufferRef &ref) {
  switch (ref.kind) {
    case BufferRef::kInput:
      return absl::StrCat("input ", ref.index);
    case BufferRef::kWeight:
      return absl::StrCat("weight '", plan.weights[ref.index].name, "'");
    case BufferRef::kActivation:
      return absl::StrCat("activation '", plan.activations[ref.index].name, "'");
    case BufferRef::kConvState:
      return absl::StrCat("conv state ", ref.index);
    case BufferRef::kKeyCache:
      return absl::StrCat("key cache ", ref.index);
    case BufferRef::kValueCache:
      return absl::StrCat("value cache ", ref.index);
    case BufferRef::kLogits:
      return "the logits";
  }
  return "?";
}

// One launch under inspection, with accessors that the shape rules share.
class LaunchView {
 public:
  LaunchView(const Plan &p, size_t index, RowSpace logits_rows)
      : plan(p), launch(p.launches[index]), index_(index), logits_rows_(logits_rows) {}

  template <typename... Parts>
  absl::Status error(const Parts &...parts) const {
    return absl::InvalidArgumentError(
        absl::StrCat("plan.launches[", index_, "] (", opName(launch.op),
                     launch.layer >= 0 ? absl::StrCat(", layer ", launch.layer) : std::string(),
                     "): ", parts...));
  }

  const BufferRef &in(size_t i) const { return launch.operands[i]; }
  const BufferRef &out(size_t i) const { return launch.results[i]; }

  // Columns of an activation or the logits.
  int64_t width(const BufferRef &r) const {
    return r.kind == BufferRef::kLogits ? plan.config.vocab_size : plan.activations[r.index].width;
  }
  RowSpace rows(const BufferRef &r) const {
    return r.kind == BufferRef::kLogits ? logits_rows_ : plan.activations[r.index].rows;
  }
  const WeightSpec &weight(const BufferRef &r) const { return plan.weights[r.index]; }
  const KvCacheSpec &kv(const BufferRef &r) const { return plan.kv_caches[r.index]; }
  const ConvStateSpec &conv(const BufferRef &r) const { return plan.conv_states[r.index]; }

  int64_t attr(IntAttr a, int64_t fallback = 0) const { return launch.attr(a, fallback); }
  double attr(FloatAttr a) const { return launch.attr(a); }

  absl::Status sameWidth(const BufferRef &a, const BufferRef &b) const {
    if (width(a) != width(b))
      return error(describe(plan, a), " has width ", width(a), " but ", describe(plan, b),
                   " has width ", width(b));
    return absl::OkStatus();
  }
  absl::Status sameRows(const BufferRef &a, const BufferRef &b) const {
    if (rows(a) != rows(b))
      return error(describe(plan, a), " and ", describe(plan, b), " have different row spaces");
    return absl::OkStatus();
  }
  absl::Status hasWidth(const BufferRef &a, int64_t expected, absl::string_view why) const {
    if (width(a) != expected)
      return error(describe(plan, a), " has width ", width(a), ", expected ", expected, " (", why,
                   ")");
    return absl::OkStatus();
  }
  absl::Status tokenRows(const BufferRef &a) const {
    if (rows(a) != RowSpace::kTokens)
      return error(describe(plan, a), " must have one row per token");
    return absl::OkStatus();
  }
  // A weight of exactly `shape`.
  absl::Status weightShape(const BufferRef &w, const std::vector<int64_t> &shape,
                           absl::string_view why) const {
    if (weight(w).shape != shape)
      return error(describe(plan, w), " has shape [", absl::StrJoin(weight(w).shape, ","),
                   "], expected [", absl::StrJoin(shape, ","), "] (", why, ")");
    return absl::OkStatus();
  }
  absl::Status weightRank(const BufferRef &w, size_t rank) const {
    if (weight(w).shape.size() != rank)
      return error(describe(plan, w), " has rank ", weight(w).shape.size(), ", expected ", rank);
    return absl::OkStatus();
  }
  absl::Status positive(IntAttr a) const {
    if (attr(a) <= 0) return error("ints.", attrName(a), " must be positive, got ", attr(a));
    return absl::OkStatus();
  }
  absl::Status positiveFinite(FloatAttr a) const {
    double v = attr(a);
    if (!std::isfinite(v) || v <= 0)
      return error("floats.", attrName(a), " must be positive and finite, got ", v);
    return absl::OkStatus();
  }
  // A cache that holds `kv_heads` x `head_dim` rows.
  absl::Status cacheShape(const BufferRef &c, int64_t kv_heads, int64_t head_dim) const {
    if (kv(c).kv_heads != kv_heads || kv(c).head_dim != head_dim)
      return error(describe(plan, c), " holds ", kv(c).kv_heads, " heads of ", kv(c).head_dim,
                   ", expected ", kv_heads, " of ", head_dim);
    return absl::OkStatus();
  }
  // heads / kv_heads / head_dim attributes, positive, GQA-divisible.
  absl::Status headAttrs() const {
    LFM_RETURN_IF_ERROR(positive(IntAttr::kHeads));
    LFM_RETURN_IF_ERROR(positive(IntAttr::kKvHeads));
    LFM_RETURN_IF_ERROR(positive(IntAttr::kHeadDim));
    if (attr(IntAttr::kHeads) % attr(IntAttr::kKvHeads) != 0)
      return error("heads (", attr(IntAttr::kHeads), ") is not a multiple of kv_heads (",
                   attr(IntAttr::kKvHeads), ")");
    if (attr(IntAttr::kHeads) > (1 << 16) || attr(IntAttr::kKvHeads) > (1 << 16) ||
        attr(IntAttr::kHeadDim) > (1 << 16))
      return error("heads, kv_heads or head_dim is absurdly large");
    return absl::OkStatus();
  }
  absl::Status evenHeadDim() const {
    if (attr(IntAttr::kHeadDim) % 2 != 0)
      return error("ints.head_dim must be even for rope, got ", attr(IntAttr::kHeadDim));
    return absl::OkStatus();
  }

  const Plan &plan;
  const Launch &launch;

 private:
  size_t index_;
  RowSpace logits_rows_;
};

using ShapeRule = absl::Status (*)(const LaunchView &);

absl::Status embeddingShapes(const LaunchView &v) {
  LFM_RETURN_IF_ERROR(v.weightRank(v.in(1), 2));
  const auto &table = v.weight(v.in(1)).shape;
  if (table[0] != v.plan.config.vocab_size)
    return v.error("the embedding table has ", table[0], " rows but the vocabulary has ",
                   v.plan.config.vocab_size);
  LFM_RETURN_IF_ERROR(v.tokenRows(v.out(0)));
  return v.hasWidth(v.out(0), table[1], "the table's columns");
}

absl::Status rmsNormShapes(const LaunchView &v) {
  LFM_RETURN_IF_ERROR(v.positiveFinite(FloatAttr::kEps));
  int64_t width = v.width(v.in(0));
  int64_t group = v.attr(IntAttr::kGroup, width);
  if (group <= 0 || width % group != 0)
    return v.error("ints.group (", group, ") must be positive and divide the width ", width);
  LFM_RETURN_IF_ERROR(v.weightShape(v.in(1), {group}, "one weight per column of a group"));
  LFM_RETURN_IF_ERROR(v.sameWidth(v.in(0), v.out(0)));
  return v.sameRows(v.in(0), v.out(0));
}

absl::Status addRmsNormShapes(const LaunchView &v) {
  LFM_RETURN_IF_ERROR(v.positiveFinite(FloatAttr::kEps));
  for (const BufferRef &r : {v.in(1), v.out(0), v.out(1)}) {
    LFM_RETURN_IF_ERROR(v.sameWidth(v.in(0), r));
    LFM_RETURN_IF_ERROR(v.sameRows(v.in(0), r));
  }
  return v.weightShape(v.in(2), {v.width(v.in(0))}, "one weight per column");
}

absl::Status elementwiseShapes(const LaunchView &v) {
  std::vector<BufferRef> all(v.launch.operands);
  all.insert(all.end(), v.launch.results.begin(), v.launch.results.end());
  for (const BufferRef &r : all) {
    LFM_RETURN_IF_ERROR(v.sameWidth(all[0], r));
    LFM_RETURN_IF_ERROR(v.sameRows(all[0], r));
  }
  return absl::OkStatus();
}

absl::Status sliceShapes(const LaunchView &v) {
  // Compared so that no offset can overflow.
  int64_t offset = v.attr(IntAttr::kOffset), in = v.width(v.in(0)), out = v.width(v.out(0));
  if (offset < 0 || offset > in)
    return v.error("ints.offset ", offset, " is outside the ", in, " columns of ",
                   describe(v.plan, v.in(0)));
  if (out > in - offset)
    return v.error("columns [", offset, ", ", offset + out, ") are not within the ", in,
                   " columns of ", describe(v.plan, v.in(0)));
  return v.sameRows(v.in(0), v.out(0));
}

absl::Status gatherRowsShapes(const LaunchView &v) {
  LFM_RETURN_IF_ERROR(v.tokenRows(v.in(0)));
  if (v.rows(v.out(0)) != RowSpace::kLogitRows)
    return v.error(describe(v.plan, v.out(0)), " must have one row per logit row");
  return v.sameWidth(v.in(0), v.out(0));
}

absl::Status linearShapes(const LaunchView &v) {
  int64_t prologue = v.attr(IntAttr::kPrologueNorm), epilogue = v.attr(IntAttr::kEpilogue);
  LFM_RETURN_IF_ERROR(v.weightRank(v.in(1), 2));
  int64_t n = v.weight(v.in(1)).shape[0], k = v.weight(v.in(1)).shape[1];
  LFM_RETURN_IF_ERROR(v.hasWidth(v.in(0), k, "the weight's columns"));
  size_t next = 2;
  if (prologue == 1) {
    LFM_RETURN_IF_ERROR(v.weightShape(v.in(next++), {k}, "the prologue norm weight"));
    LFM_RETURN_IF_ERROR(v.positiveFinite(FloatAttr::kEps));
  }
  if (epilogue == 2 && n % 2 != 0)
    return v.error("a SwiGLU epilogue needs an even number of weight rows (W1|W3), got ", n);
  int64_t out = epilogue == 2 ? n / 2 : n;
  LFM_RETURN_IF_ERROR(v.hasWidth(v.out(0), out, "the weight's rows"));
  LFM_RETURN_IF_ERROR(v.sameRows(v.in(0), v.out(0)));
  if (epilogue == 1) {
    LFM_RETURN_IF_ERROR(v.sameWidth(v.in(next), v.out(0)));
    LFM_RETURN_IF_ERROR(v.sameRows(v.in(next), v.out(0)));
  }
  return absl::OkStatus();
}

// Shared by short_conv and gated_short_conv, whose input has `streams`
// column blocks of the hidden width (1: x; 3: B, C, x).
absl::Status convShapes(const LaunchView &v, int64_t streams) {
  LFM_RETURN_IF_ERROR(v.weightRank(v.in(1), 2));
  int64_t hidden = v.weight(v.in(1)).shape[0], kernel = v.weight(v.in(1)).shape[1];
  const ConvStateSpec &state = v.conv(v.in(2));
  if (state.hidden != hidden || state.kernel != kernel)
    return v.error(describe(v.plan, v.in(2)), " is for hidden ", state.hidden, " and kernel ",
                   state.kernel, " but the conv weight is [", hidden, ",", kernel, "]");
  LFM_RETURN_IF_ERROR(v.tokenRows(v.in(0)));
  LFM_RETURN_IF_ERROR(v.tokenRows(v.out(0)));
  LFM_RETURN_IF_ERROR(v.hasWidth(v.in(0), streams * hidden, "the conv input streams"));
  return v.hasWidth(v.out(0), hidden, "the conv weight's channels");
}
absl::Status shortConvShapes(const LaunchView &v) { return convShapes(v, 1); }
absl::Status gatedShortConvShapes(const LaunchView &v) { return convShapes(v, 3); }

absl::Status ropeShapes(const LaunchView &v) {
  LFM_RETURN_IF_ERROR(v.positive(IntAttr::kHeadDim));
  LFM_RETURN_IF_ERROR(v.evenHeadDim());
  LFM_RETURN_IF_ERROR(v.positiveFinite(FloatAttr::kTheta));
  if (v.width(v.in(0)) % v.attr(IntAttr::kHeadDim) != 0)
    return v.error("width ", v.width(v.in(0)), " is not a multiple of head_dim ",
                   v.attr(IntAttr::kHeadDim));
  LFM_RETURN_IF_ERROR(v.tokenRows(v.in(0)));
  LFM_RETURN_IF_ERROR(v.tokenRows(v.out(0)));
  return v.sameWidth(v.in(0), v.out(0));
}

absl::Status kvCacheWriteShapes(const LaunchView &v) {
  for (size_t i = 0; i < 2; ++i) {  // k, then v
    const KvCacheSpec &cache = v.kv(v.in(2 + i));
    LFM_RETURN_IF_ERROR(v.tokenRows(v.in(i)));
    LFM_RETURN_IF_ERROR(v.hasWidth(v.in(i), cache.kv_heads * cache.head_dim, "the cache's row"));
  }
  return absl::OkStatus();
}

absl::Status attentionShapes(const LaunchView &v) {
  LFM_RETURN_IF_ERROR(v.headAttrs());
  LFM_RETURN_IF_ERROR(v.positiveFinite(FloatAttr::kScale));
  int64_t heads = v.attr(IntAttr::kHeads), kv_heads = v.attr(IntAttr::kKvHeads), d = v.attr(IntAttr::kHeadDim);
  LFM_RETURN_IF_ERROR(v.cacheShape(v.in(1), kv_heads, d));
  LFM_RETURN_IF_ERROR(v.cacheShape(v.in(2), kv_heads, d));
  LFM_RETURN_IF_ERROR(v.tokenRows(v.in(0)));
  LFM_RETURN_IF_ERROR(v.tokenRows(v.out(0)));
  LFM_RETURN_IF_ERROR(v.hasWidth(v.in(0), heads * d, "heads * head_dim"));
  return v.hasWidth(v.out(0), heads * d, "heads * head_dim");
}

absl::Status qkNormRopeCacheShapes(const LaunchView &v) {
  LFM_RETURN_IF_ERROR(v.headAttrs());
  LFM_RETURN_IF_ERROR(v.evenHeadDim());
  LFM_RETURN_IF_ERROR(v.positiveFinite(FloatAttr::kEps));
  LFM_RETURN_IF_ERROR(v.positiveFinite(FloatAttr::kTheta));
  int64_t heads = v.attr(IntAttr::kHeads), kv_heads = v.attr(IntAttr::kKvHeads), d = v.attr(IntAttr::kHeadDim);
  LFM_RETURN_IF_ERROR(v.weightShape(v.in(1), {d}, "the q norm weight"));
  LFM_RETURN_IF_ERROR(v.weightShape(v.in(2), {d}, "the k norm weight"));
  LFM_RETURN_IF_ERROR(v.cacheShape(v.in(3), kv_heads, d));
  LFM_RETURN_IF_ERROR(v.cacheShape(v.in(4), kv_heads, d));
  LFM_RETURN_IF_ERROR(v.tokenRows(v.in(0)));
  LFM_RETURN_IF_ERROR(v.tokenRows(v.out(0)));
  LFM_RETURN_IF_ERROR(
      v.hasWidth(v.in(0), (heads + 2 * kv_heads) * d, "(heads + 2 kv_heads) * head_dim"));
  return v.hasWidth(v.out(0), heads * d, "heads * head_dim");
}

// The shape rule of each op, in OpKind order: what the schema's roles and
// attribute ranges cannot say (widths, row spaces, weight shapes).
constexpr ShapeRule kShapeRules[] = {
    embeddingShapes,   rmsNormShapes,        addRmsNormShapes,  elementwiseShapes,
    elementwiseShapes, elementwiseShapes,    sliceShapes,       gatherRowsShapes,
    linearShapes,      shortConvShapes,      gatedShortConvShapes, ropeShapes,
    kvCacheWriteShapes, attentionShapes,     qkNormRopeCacheShapes,
};
static_assert(std::size(kShapeRules) == kNumOpKinds);

// linear's prologue_norm and epilogue choose its operands: their values are
// checked before the operands are.
absl::Status checkOperandSelectors(const LaunchView &v) {
  int64_t prologue = v.attr(IntAttr::kPrologueNorm), epilogue = v.attr(IntAttr::kEpilogue);
  if (prologue != 0 && prologue != 1)
    return v.error("ints.prologue_norm must be 0 or 1, got ", prologue);
  if (epilogue < 0 || epilogue > 2)
    return v.error("ints.epilogue must be 0, 1 or 2, got ", epilogue);
  return absl::OkStatus();
}

// The positions bound for this launch: the schema's, less the optional ones
// whose selecting attribute has another value.
std::vector<Role> boundRoles(const LaunchView &v, std::span<const OperandSpec> specs) {
  std::vector<Role> roles;
  for (const OperandSpec &spec : specs)
    if (!spec.present_if || v.attr(*spec.present_if) == spec.present_value)
      roles.push_back(spec.role);
  return roles;
}

// Attributes the op does not take are rejected, so that a stray attribute
// is an error rather than silently ignored (the artifact decoder has already
// rejected names outside the schema).
template <typename Attr, typename Slots>
absl::Status checkAttrs(const LaunchView &v, const Slots &slots, absl::string_view kind,
                        std::span<const AttrUse<Attr>> uses) {
  for (const AttrUse<Attr> &use : uses)
    if (use.required && !v.launch.has(use.attr))
      return v.error("missing required attribute ", kind, ".", attrName(use.attr));
  for (size_t i = 0; i < slots.size(); ++i) {
    if (!slots[i]) continue;
    const Attr attr = static_cast<Attr>(i);
    bool taken = std::any_of(uses.begin(), uses.end(),
                             [&](const AttrUse<Attr> &use) { return use.attr == attr; });
    if (!taken) {
      std::vector<std::string> all;
      for (const AttrUse<Attr> &use : uses) all.push_back(attrName(use.attr));
      return v.error("attribute ", kind, ".", attrName(attr), " is not taken by ",
                     opName(v.launch.op), " (it takes ",
                     all.empty() ? std::string("none") : absl::StrJoin(all, ", "), ")");
    }
  }
  return absl::OkStatus();
}

// The schema's ranges, after the shape rules (whose messages say more).
absl::Status checkIntRanges(const LaunchView &v, std::span<const AttrUse<IntAttr>> uses) {
  for (const AttrUse<IntAttr> &use : uses) {
    if (!v.launch.has(use.attr)) continue;
    const IntAttrInfo &info = attrInfo(use.attr);
    int64_t value = v.attr(use.attr);
    if (value < info.min || value > info.max)
      return v.error("ints.", info.name, " must be in [", info.min, ", ", info.max, "], got ",
                     value);
  }
  return absl::OkStatus();
}

absl::Status checkBindings(const LaunchView &v, absl::string_view what,
                           const std::vector<BufferRef> &refs, const std::vector<Role> &roles) {
  if (refs.size() != roles.size())
    return v.error("has ", refs.size(), " ", what, "s, expected ", roles.size());
  for (size_t i = 0; i < refs.size(); ++i)
    if (!roleAccepts(roles[i], refs[i]))
      return v.error(what, " ", i, " must be ", roleName(roles[i]), ", got ",
                     describe(v.plan, refs[i]));
  return absl::OkStatus();
}

// Kernels dequantize only a linear's weight and an embedding's table (operand
// 1 of both): a quantized weight anywhere else would be read as elements.
absl::Status checkQuantizedOperands(const LaunchView &v, OpKind kind) {
  for (size_t i = 0; i < v.launch.operands.size(); ++i) {
    const BufferRef &ref = v.launch.operands[i];
    if (ref.kind != BufferRef::kWeight || !v.weight(ref).quant) continue;
    if ((kind == OpKind::kLinear || kind == OpKind::kEmbedding) && i == 1) continue;
    return v.error("operand ", i, ": ", describe(v.plan, ref), " is quantized as ",
                   quantFormatName(*v.weight(ref).quant),
                   "; only a linear's weight or an embedding's table may be");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status verifyLaunch(const Plan &plan, size_t index, RowSpace logits_rows) {
  LaunchView v(plan, index, logits_rows);
  std::optional<OpKind> kind = opKindFromValue(static_cast<uint32_t>(v.launch.op));
  if (!kind)
    return v.error("op ", static_cast<int>(v.launch.op), " is not in the op schema (",
                   kNumOpKinds, " ops)");
  const OpSchema &op = opSchema(*kind);
  LFM_RETURN_IF_ERROR(checkAttrs(v, v.launch.ints, "ints", op.ints));
  LFM_RETURN_IF_ERROR(checkAttrs(v, v.launch.floats, "floats", op.floats));
  LFM_RETURN_IF_ERROR(checkOperandSelectors(v));
  LFM_RETURN_IF_ERROR(checkBindings(v, "operand", v.launch.operands, boundRoles(v, op.operands)));
  LFM_RETURN_IF_ERROR(checkBindings(v, "result", v.launch.results, boundRoles(v, op.results)));
  LFM_RETURN_IF_ERROR(checkQuantizedOperands(v, *kind));
  LFM_RETURN_IF_ERROR(kShapeRules[static_cast<size_t>(*kind)](v));
  return checkIntRanges(v, op.ints);
}

}  // namespace lfm
