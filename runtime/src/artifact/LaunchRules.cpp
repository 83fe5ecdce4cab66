#include "artifact/LaunchRules.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

// What a buffer bound to an operand or result position must be.
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
  kLogitRows
};

const char *roleName(Role r) {
  switch (r) {
    case Role::kAct:
      return "an activation";
    case Role::kActOrLogits:
      return "an activation or the logits";
    case Role::kWeight:
      return "a weight";
    case Role::kConvState:
      return "a conv state";
    case Role::kKeyCache:
      return "a key cache";
    case Role::kValueCache:
      return "a value cache";
    case Role::kTokens:
      return "the tokens input";
    case Role::kRowOffsets:
      return "the row_offsets input";
    case Role::kSlots:
      return "the slots input";
    case Role::kStartPos:
      return "the start_pos input";
    case Role::kLogitRows:
      return "the logit_rows input";
  }
  return "?";
}

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
        absl::StrCat("plan.launches[", index_, "] (", launch.op,
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

  int64_t intAttr(const std::string &name, int64_t fallback = 0) const {
    auto it = launch.ints.find(name);
    return it == launch.ints.end() ? fallback : it->second;
  }
  double floatAttr(const std::string &name) const {
    auto it = launch.floats.find(name);
    return it == launch.floats.end() ? 0.0 : it->second;
  }

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
  absl::Status positive(const std::string &attr) const {
    if (intAttr(attr) <= 0) return error("ints.", attr, " must be positive, got ", intAttr(attr));
    return absl::OkStatus();
  }
  absl::Status positiveFinite(const std::string &attr) const {
    double v = floatAttr(attr);
    if (!std::isfinite(v) || v <= 0)
      return error("floats.", attr, " must be positive and finite, got ", v);
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
    LFM_RETURN_IF_ERROR(positive("heads"));
    LFM_RETURN_IF_ERROR(positive("kv_heads"));
    LFM_RETURN_IF_ERROR(positive("head_dim"));
    if (intAttr("heads") % intAttr("kv_heads") != 0)
      return error("heads (", intAttr("heads"), ") is not a multiple of kv_heads (",
                   intAttr("kv_heads"), ")");
    if (intAttr("heads") > (1 << 16) || intAttr("kv_heads") > (1 << 16) ||
        intAttr("head_dim") > (1 << 16))
      return error("heads, kv_heads or head_dim is absurdly large");
    return absl::OkStatus();
  }
  absl::Status evenHeadDim() const {
    if (intAttr("head_dim") % 2 != 0)
      return error("ints.head_dim must be even for rope, got ", intAttr("head_dim"));
    return absl::OkStatus();
  }

  const Plan &plan;
  const Launch &launch;

 private:
  size_t index_;
  RowSpace logits_rows_;
};

using ShapeRule = absl::Status (*)(const LaunchView &);

struct OpRule {
  absl::string_view name;
  std::vector<Role> operands = {};
  std::vector<Role> results = {};
  std::vector<absl::string_view> required_ints = {}, optional_ints = {};
  std::vector<absl::string_view> required_floats = {}, optional_floats = {};
  ShapeRule shapes = nullptr;
};

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
  LFM_RETURN_IF_ERROR(v.positiveFinite("eps"));
  int64_t width = v.width(v.in(0));
  int64_t group = v.intAttr("group", width);
  if (group <= 0 || width % group != 0)
    return v.error("ints.group (", group, ") must be positive and divide the width ", width);
  LFM_RETURN_IF_ERROR(v.weightShape(v.in(1), {group}, "one weight per column of a group"));
  LFM_RETURN_IF_ERROR(v.sameWidth(v.in(0), v.out(0)));
  return v.sameRows(v.in(0), v.out(0));
}

absl::Status addRmsNormShapes(const LaunchView &v) {
  LFM_RETURN_IF_ERROR(v.positiveFinite("eps"));
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
  int64_t offset = v.intAttr("offset"), in = v.width(v.in(0)), out = v.width(v.out(0));
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
  int64_t prologue = v.intAttr("prologue_norm"), epilogue = v.intAttr("epilogue");
  LFM_RETURN_IF_ERROR(v.weightRank(v.in(1), 2));
  int64_t n = v.weight(v.in(1)).shape[0], k = v.weight(v.in(1)).shape[1];
  LFM_RETURN_IF_ERROR(v.hasWidth(v.in(0), k, "the weight's columns"));
  size_t next = 2;
  if (prologue == 1) {
    LFM_RETURN_IF_ERROR(v.weightShape(v.in(next++), {k}, "the prologue norm weight"));
    LFM_RETURN_IF_ERROR(v.positiveFinite("eps"));
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
  LFM_RETURN_IF_ERROR(v.positive("head_dim"));
  LFM_RETURN_IF_ERROR(v.evenHeadDim());
  LFM_RETURN_IF_ERROR(v.positiveFinite("theta"));
  if (v.width(v.in(0)) % v.intAttr("head_dim") != 0)
    return v.error("width ", v.width(v.in(0)), " is not a multiple of head_dim ",
                   v.intAttr("head_dim"));
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
  LFM_RETURN_IF_ERROR(v.positiveFinite("scale"));
  int64_t heads = v.intAttr("heads"), kv_heads = v.intAttr("kv_heads"), d = v.intAttr("head_dim");
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
  LFM_RETURN_IF_ERROR(v.positiveFinite("eps"));
  LFM_RETURN_IF_ERROR(v.positiveFinite("theta"));
  int64_t heads = v.intAttr("heads"), kv_heads = v.intAttr("kv_heads"), d = v.intAttr("head_dim");
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

using R = Role;
// Fixed operand lists per op (linear's depend on its attributes: see
// linearOperands). Attributes not listed are rejected, so that a misspelled
// optional attribute is an error rather than silently ignored.
const std::vector<OpRule> &opRules() {
  static const std::vector<Role> conv_operands = {R::kAct,        R::kWeight, R::kConvState,
                                                  R::kRowOffsets, R::kSlots,  R::kStartPos};
  static const std::vector<OpRule> rules = {
      {.name = "embedding",
       .operands = {R::kTokens, R::kWeight},
       .results = {R::kAct},
       .shapes = embeddingShapes},
      {.name = "rms_norm",
       .operands = {R::kAct, R::kWeight},
       .results = {R::kAct},
       .optional_ints = {"group"},
       .required_floats = {"eps"},
       .shapes = rmsNormShapes},
      {.name = "add_rms_norm",
       .operands = {R::kAct, R::kAct, R::kWeight},
       .results = {R::kAct, R::kAct},
       .required_floats = {"eps"},
       .shapes = addRmsNormShapes},
      {.name = "add",
       .operands = {R::kAct, R::kAct},
       .results = {R::kAct},
       .shapes = elementwiseShapes},
      {.name = "mul",
       .operands = {R::kAct, R::kAct},
       .results = {R::kAct},
       .shapes = elementwiseShapes},
      {.name = "silu", .operands = {R::kAct}, .results = {R::kAct}, .shapes = elementwiseShapes},
      {.name = "slice",
       .operands = {R::kAct},
       .results = {R::kAct},
       .required_ints = {"offset"},
       .shapes = sliceShapes},
      {.name = "gather_rows",
       .operands = {R::kAct, R::kLogitRows},
       .results = {R::kAct},
       .shapes = gatherRowsShapes},
      {.name = "linear",
       .results = {R::kActOrLogits},
       .optional_ints = {"prologue_norm", "epilogue"},
       .optional_floats = {"eps"},
       .shapes = linearShapes},
      {.name = "short_conv",
       .operands = conv_operands,
       .results = {R::kAct},
       .shapes = shortConvShapes},
      {.name = "gated_short_conv",
       .operands = conv_operands,
       .results = {R::kAct},
       .shapes = gatedShortConvShapes},
      {.name = "rope",
       .operands = {R::kAct, R::kRowOffsets, R::kStartPos},
       .results = {R::kAct},
       .required_ints = {"head_dim"},
       .required_floats = {"theta"},
       .shapes = ropeShapes},
      {.name = "kv_cache_write",
       .operands = {R::kAct, R::kAct, R::kKeyCache, R::kValueCache, R::kRowOffsets, R::kSlots,
                    R::kStartPos},
       .shapes = kvCacheWriteShapes},
      {.name = "attention",
       .operands = {R::kAct, R::kKeyCache, R::kValueCache, R::kRowOffsets, R::kSlots, R::kStartPos},
       .results = {R::kAct},
       .required_ints = {"heads", "kv_heads", "head_dim"},
       .required_floats = {"scale"},
       .shapes = attentionShapes},
      {.name = "qk_norm_rope_cache",
       .operands = {R::kAct, R::kWeight, R::kWeight, R::kKeyCache, R::kValueCache, R::kRowOffsets,
                    R::kSlots, R::kStartPos},
       .results = {R::kAct},
       .required_ints = {"heads", "kv_heads", "head_dim"},
       .required_floats = {"eps", "theta"},
       .shapes = qkNormRopeCacheShapes},
  };
  return rules;
}

// linear: [x, W, (norm_w if prologue_norm), (residual if epilogue == 1)].
absl::StatusOr<std::vector<Role>> linearOperands(const LaunchView &v) {
  int64_t prologue = v.intAttr("prologue_norm"), epilogue = v.intAttr("epilogue");
  if (prologue != 0 && prologue != 1)
    return v.error("ints.prologue_norm must be 0 or 1, got ", prologue);
  if (epilogue < 0 || epilogue > 2)
    return v.error("ints.epilogue must be 0, 1 or 2, got ", epilogue);
  std::vector<Role> roles = {R::kAct, R::kWeight};
  if (prologue == 1) roles.push_back(R::kWeight);
  if (epilogue == 1) roles.push_back(R::kAct);
  return roles;
}

template <typename Map>
absl::Status checkAttrs(const LaunchView &v, const Map &attrs, absl::string_view kind,
                        const std::vector<absl::string_view> &required,
                        const std::vector<absl::string_view> &optional) {
  for (absl::string_view name : required)
    if (attrs.find(std::string(name)) == attrs.end())
      return v.error("missing required attribute ", kind, ".", name);
  for (const auto &[name, value] : attrs) {
    bool known = std::find(required.begin(), required.end(), name) != required.end() ||
                 std::find(optional.begin(), optional.end(), name) != optional.end();
    if (!known) {
      std::vector<absl::string_view> all(required);
      all.insert(all.end(), optional.begin(), optional.end());
      return v.error("unknown attribute ", kind, ".", name, " (", v.launch.op, " takes ",
                     all.empty() ? std::string("none") : absl::StrJoin(all, ", "), ")");
    }
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

}  // namespace

absl::Status verifyLaunch(const Plan &plan, size_t index, RowSpace logits_rows) {
  LaunchView v(plan, index, logits_rows);
  const auto &rules = opRules();
  auto rule = std::find_if(rules.begin(), rules.end(),
                           [&](const OpRule &r) { return r.name == v.launch.op; });
  if (rule == rules.end()) {
    std::vector<absl::string_view> names;
    for (const OpRule &r : rules) names.push_back(r.name);
    return v.error("unknown op '", v.launch.op, "' (known: ", absl::StrJoin(names, ", "), ")");
  }
  LFM_RETURN_IF_ERROR(
      checkAttrs(v, v.launch.ints, "ints", rule->required_ints, rule->optional_ints));
  LFM_RETURN_IF_ERROR(
      checkAttrs(v, v.launch.floats, "floats", rule->required_floats, rule->optional_floats));
  std::vector<Role> operands = rule->operands;
  if (rule->name == "linear") {
    LFM_ASSIGN_OR_RETURN(operands, linearOperands(v));
  }
  LFM_RETURN_IF_ERROR(checkBindings(v, "operand", v.launch.operands, operands));
  LFM_RETURN_IF_ERROR(checkBindings(v, "result", v.launch.results, rule->results));
  return rule->shapes(v);
}

}  // namespace lfm
