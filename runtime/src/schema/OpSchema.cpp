// The op table (lfm/OpSchema.h) and what each op computes. Operands are
// listed in order; T token rows, R logit rows, H hidden, d head_dim.
// Every device computes in float32 whatever the storage dtype and rounds to
// the activation dtype on store.
#include "lfm/OpSchema.h"

#include <array>

namespace lfm {
namespace {

using R = Role;
using I = IntAttr;
using F = FloatAttr;

// Ranges: heads and head sizes up to 2^16 (absurd beyond); a group or an
// offset is a column count.
constexpr int64_t kMaxHeads = int64_t{1} << 16;
constexpr int64_t kMaxColumns = int64_t{1} << 40;
constexpr IntAttrInfo kIntAttrs[] = {
    {"group", 1, kMaxColumns},  {"offset", 0, kMaxColumns},  {"prologue_norm", 0, 1},
    {"epilogue", 0, 2},         {"heads", 1, kMaxHeads},     {"kv_heads", 1, kMaxHeads},
    {"head_dim", 1, kMaxHeads},
};
static_assert(std::size(kIntAttrs) == kNumIntAttrs);
constexpr FloatAttrInfo kFloatAttrs[] = {{"eps"}, {"theta"}, {"scale"}};
static_assert(std::size(kFloatAttrs) == kNumFloatAttrs);

constexpr OperandSpec kOneAct[] = {{R::kAct, "y"}};

// embedding [tokens, table W(V,H)] -> [y(T,H)]
constexpr OperandSpec kEmbeddingIn[] = {{R::kTokens, "tokens"}, {R::kWeight, "table"}};

// rms_norm [x, w(group)] -> [y]; floats eps; ints group (optional, default =
// width): each run of `group` columns is normalized alone with the same
// weight (per-head q/k norms use head_dim). y = x / sqrt(mean(x^2) + eps) * w
constexpr OperandSpec kRmsNormIn[] = {{R::kAct, "x"}, {R::kWeight, "w"}};
constexpr AttrUse<I> kRmsNormInts[] = {{I::kGroup, false}};
constexpr AttrUse<F> kEps[] = {{F::kEps, true}};

// add_rms_norm [x, residual, w] -> [normed, sum]; floats eps;
// sum = x + residual, normed = rms_norm(sum)
constexpr OperandSpec kAddRmsNormIn[] = {
    {R::kAct, "x"}, {R::kAct, "residual"}, {R::kWeight, "w"}};
constexpr OperandSpec kAddRmsNormOut[] = {{R::kAct, "normed"}, {R::kAct, "sum"}};

// add, mul [a, b] -> [y] elementwise; silu [x] -> [y] x * sigmoid(x)
constexpr OperandSpec kBinaryIn[] = {{R::kAct, "a"}, {R::kAct, "b"}};
constexpr OperandSpec kUnaryIn[] = {{R::kAct, "x"}};

// slice [x] -> [y]; ints offset: y[:, j] = x[:, offset + j]
constexpr AttrUse<I> kSliceInts[] = {{I::kOffset, true}};

// gather_rows [x(T rows), logit_rows] -> [y(R rows)]
constexpr OperandSpec kGatherRowsIn[] = {{R::kAct, "x"}, {R::kLogitRows, "logit_rows"}};

// linear [x(rows,K), W(N,K), (norm_w), (residual)] -> [y(rows,N')]
// y = x . W^T. ints prologue_norm (0/1: normalize x first with operand
// norm_w and floats eps); ints epilogue: 0 none, 1 residual add (operand
// residual, shape of y), 2 SwiGLU (W holds W1 then W3, N = 2F:
// y = silu(x W1^T) * (x W3^T), N' = F). y may be the logits (always f32).
constexpr OperandSpec kLinearIn[] = {
    {R::kAct, "x"},
    {R::kWeight, "w"},
    {R::kWeight, "norm_w", I::kPrologueNorm, 1},
    {R::kAct, "residual", I::kEpilogue, static_cast<int64_t>(LinearEpilogue::kResidual)},
};
constexpr OperandSpec kLinearOut[] = {{R::kActOrLogits, "y"}};
constexpr AttrUse<I> kLinearInts[] = {{I::kPrologueNorm, false}, {I::kEpilogue, false}};
constexpr AttrUse<F> kLinearFloats[] = {{F::kEps, false}};

// short_conv [x(T,H), w(H,L), conv_state, row_offsets, slots, start_pos]
// -> [y(T,H)]; causal depthwise conv over each sequence:
// y[p,c] = sum_k w[c,k] * u[p-(L-1)+k, c], u = x with history from the
// slot's state; history before position 0 is zero (the state of a sequence
// at start_pos 0 is never read). Writes the last L-1 inputs of each
// sequence back to its slot's state.
// gated_short_conv: the same with bcx(T,3H) for x; B, C, X = columns
// [0,H), [H,2H), [2H,3H): y = C * short_conv(B * X).
constexpr OperandSpec kConvIn[] = {{R::kAct, "x"},          {R::kWeight, "w"},
                                   {R::kConvState, "state"}, {R::kRowOffsets, "row_offsets"},
                                   {R::kSlots, "slots"},     {R::kStartPos, "start_pos"}};

// rope [x(T, n*head_dim), row_offsets, start_pos] -> [y]; ints head_dim;
// floats theta. NeoX / rotate-half over the whole head: for j < d/2,
// f = theta^(-2j/d), a = pos * f: y[j] = x[j] cos a - x[j+d/2] sin a,
// y[j+d/2] = x[j+d/2] cos a + x[j] sin a. The position of token t of
// sequence i is start_pos[i] + t - row_offsets[i].
constexpr OperandSpec kRopeIn[] = {
    {R::kAct, "x"}, {R::kRowOffsets, "row_offsets"}, {R::kStartPos, "start_pos"}};
constexpr AttrUse<I> kRopeInts[] = {{I::kHeadDim, true}};
constexpr AttrUse<F> kRopeFloats[] = {{F::kTheta, true}};

// kv_cache_write [k(T,kvh*d), v(T,kvh*d), key_cache, value_cache,
// row_offsets, slots, start_pos] -> []: writes row pos of the slot's caches.
constexpr OperandSpec kKvCacheWriteIn[] = {
    {R::kAct, "k"},         {R::kAct, "v"},         {R::kKeyCache, "key_cache"},
    {R::kValueCache, "value_cache"}, {R::kRowOffsets, "row_offsets"},
    {R::kSlots, "slots"},   {R::kStartPos, "start_pos"}};

// attention [q(T, h*d), key_cache, value_cache, row_offsets, slots,
// start_pos] -> [y(T, h*d)]; ints heads, kv_heads, head_dim; floats scale.
// Causal GQA: a token at position p attends to cache rows 0..p of its slot;
// head j uses kv head j / (heads / kv_heads).
constexpr OperandSpec kAttentionIn[] = {
    {R::kAct, "q"},         {R::kKeyCache, "key_cache"},     {R::kValueCache, "value_cache"},
    {R::kRowOffsets, "row_offsets"}, {R::kSlots, "slots"},   {R::kStartPos, "start_pos"}};
constexpr AttrUse<I> kHeadInts[] = {
    {I::kHeads, true}, {I::kKvHeads, true}, {I::kHeadDim, true}};
constexpr AttrUse<F> kAttentionFloats[] = {{F::kScale, true}};

// qk_norm_rope_cache [qkv(T,(h+2kvh)*d), q_norm_w(d), k_norm_w(d),
// key_cache, value_cache, row_offsets, slots, start_pos] -> [q(T,h*d)];
// ints heads, kv_heads, head_dim; floats eps, theta. Per-head rms_norm of q
// and k, rope of q and k, writes k and v to the caches, returns q.
constexpr OperandSpec kQkNormRopeCacheIn[] = {
    {R::kAct, "qkv"},       {R::kWeight, "q_norm_w"},        {R::kWeight, "k_norm_w"},
    {R::kKeyCache, "key_cache"}, {R::kValueCache, "value_cache"},
    {R::kRowOffsets, "row_offsets"}, {R::kSlots, "slots"},   {R::kStartPos, "start_pos"}};
constexpr OperandSpec kQOut[] = {{R::kAct, "q"}};
constexpr AttrUse<F> kQkNormRopeCacheFloats[] = {{F::kEps, true}, {F::kTheta, true}};

constexpr OpSchema kOps[] = {
    {OpKind::kEmbedding, "embedding", kEmbeddingIn, kOneAct},
    {OpKind::kRmsNorm, "rms_norm", kRmsNormIn, kOneAct, kRmsNormInts, kEps},
    {OpKind::kAddRmsNorm, "add_rms_norm", kAddRmsNormIn, kAddRmsNormOut, {}, kEps},
    {OpKind::kAdd, "add", kBinaryIn, kOneAct},
    {OpKind::kMul, "mul", kBinaryIn, kOneAct},
    {OpKind::kSilu, "silu", kUnaryIn, kOneAct},
    {OpKind::kSlice, "slice", kUnaryIn, kOneAct, kSliceInts},
    {OpKind::kGatherRows, "gather_rows", kGatherRowsIn, kOneAct},
    {OpKind::kLinear, "linear", kLinearIn, kLinearOut, kLinearInts, kLinearFloats},
    {OpKind::kShortConv, "short_conv", kConvIn, kOneAct, {}, {}, true},
    {OpKind::kGatedShortConv, "gated_short_conv", kConvIn, kOneAct, {}, {}, true},
    {OpKind::kRope, "rope", kRopeIn, kOneAct, kRopeInts, kRopeFloats},
    {OpKind::kKvCacheWrite, "kv_cache_write", kKvCacheWriteIn, {}, {}, {}, true},
    {OpKind::kAttention, "attention", kAttentionIn, kOneAct, kHeadInts, kAttentionFloats},
    {OpKind::kQkNormRopeCache, "qk_norm_rope_cache", kQkNormRopeCacheIn, kQOut, kHeadInts,
     kQkNormRopeCacheFloats, true},
};
static_assert(std::size(kOps) == kNumOpKinds);

constexpr bool inKindOrder() {
  for (size_t i = 0; i < std::size(kOps); ++i)
    if (static_cast<size_t>(kOps[i].kind) != i) return false;
  return true;
}
static_assert(inKindOrder(), "kOps must list the ops in OpKind order");

}  // namespace

const IntAttrInfo &attrInfo(IntAttr attr) { return kIntAttrs[static_cast<size_t>(attr)]; }
const FloatAttrInfo &attrInfo(FloatAttr attr) { return kFloatAttrs[static_cast<size_t>(attr)]; }

const char *roleName(Role role) {
  switch (role) {
    case Role::kAct: return "an activation";
    case Role::kActOrLogits: return "an activation or the logits";
    case Role::kWeight: return "a weight";
    case Role::kConvState: return "a conv state";
    case Role::kKeyCache: return "a key cache";
    case Role::kValueCache: return "a value cache";
    case Role::kTokens: return "the tokens input";
    case Role::kRowOffsets: return "the row_offsets input";
    case Role::kSlots: return "the slots input";
    case Role::kStartPos: return "the start_pos input";
    case Role::kLogitRows: return "the logit_rows input";
  }
  return "?";
}

std::span<const OpSchema> opSchemas() { return kOps; }
const OpSchema &opSchema(OpKind kind) { return kOps[static_cast<size_t>(kind)]; }

std::optional<OpKind> findOp(std::string_view name) {
  for (const OpSchema &op : kOps)
    if (op.name == name) return op.kind;
  return std::nullopt;
}

std::optional<OpKind> opKindFromValue(uint32_t value) {
  if (value >= static_cast<uint32_t>(kNumOpKinds)) return std::nullopt;
  return static_cast<OpKind>(value);
}

std::optional<IntAttr> findIntAttr(std::string_view name) {
  for (int i = 0; i < kNumIntAttrs; ++i)
    if (kIntAttrs[i].name == name) return static_cast<IntAttr>(i);
  return std::nullopt;
}

std::optional<FloatAttr> findFloatAttr(std::string_view name) {
  for (int i = 0; i < kNumFloatAttrs; ++i)
    if (kFloatAttrs[i].name == name) return static_cast<FloatAttr>(i);
  return std::nullopt;
}

}  // namespace lfm
