// FlatBuffer -> Artifact, trusting nothing. The FlatBuffers verifier proves
// that every offset and vector lies inside the buffer; this file then checks
// what the verifier cannot: enum values in range, required tables present,
// bounded counts, and a total decoded size bounded by the buffer's size.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "artifact/Limits.h"
#include "artifact/Metadata.h"
#include "artifact/lfma_generated.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

using namespace limits;

// Tables the verifier may visit (a real plan has a few thousand).
constexpr flatbuffers::uoffset_t kMaxVerifiedTables = 4'000'000;
constexpr flatbuffers::uoffset_t kMaxDepth = 32;

class Decoder {
 public:
  Decoder(const std::string &path, uint64_t buffer_size)
      // The strings and vectors of an honest buffer decode to at most its
      // own size (each byte is read once), and each of its tables takes at
      // least 8 bytes (a 4-byte slot in a vector and a 4-byte offset to its
      // vtable). Shared offsets could multiply both; these budgets stop that.
      : path_(path),
        budget_(2 * buffer_size + (uint64_t{1} << 20)),
        table_budget_(buffer_size / 8 + 64) {}

  absl::Status error(absl::string_view field, absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat("artifact '", path_, "': metadata: ", field, ": ", what));
  }

  // Accounts for one more decoded table.
  absl::Status countTable(absl::string_view field) {
    if (table_budget_ == 0)
      return error(field,
                   "decodes to more tables than the metadata holds (shared or hostile offsets)");
    --table_budget_;
    return absl::OkStatus();
  }

  // A vector's length against the limit the verifiers enforce later.
  absl::Status count(flatbuffers::uoffset_t size, int64_t max, absl::string_view field) const {
    if (size > static_cast<uint64_t>(max))
      return error(field, absl::StrCat(size, " entries, at most ", max, " allowed"));
    return absl::OkStatus();
  }

  // Accounts for `bytes` more decoded string or vector data.
  absl::Status charge(uint64_t bytes, absl::string_view field) {
    if (bytes > budget_)
      return error(field,
                   "decodes to more data than the metadata holds (shared or hostile offsets)");
    budget_ -= bytes;
    return absl::OkStatus();
  }

  absl::Status string(const flatbuffers::String *s, absl::string_view field, std::string &out) {
    if (s == nullptr) {
      out.clear();
      return absl::OkStatus();
    }
    LFM_RETURN_IF_ERROR(charge(s->size() + 16, field));
    out.assign(s->data(), s->size());
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status scalars(const flatbuffers::Vector<T> *v, absl::string_view field,
                       std::vector<T> &out, int64_t max = INT64_MAX) {
    out.clear();
    if (v == nullptr) return absl::OkStatus();
    LFM_RETURN_IF_ERROR(count(v->size(), max, field));
    LFM_RETURN_IF_ERROR(charge(uint64_t{v->size()} * sizeof(T) + 16, field));
    // Copied bytewise: the verifier aligns the length prefix (4 bytes), so
    // hostile metadata can misalign 8-byte elements (little-endian, as
    // FlatBuffers stores them).
    out.resize(v->size());
    if (!out.empty()) std::memcpy(out.data(), v->Data(), out.size() * sizeof(T));
    return absl::OkStatus();
  }

  // An enum stored as its underlying byte; FlatBuffers does not check range.
  template <typename Out, typename In>
  absl::Status enumValue(In in, uint8_t max, absl::string_view field, Out &out) {
    auto raw = static_cast<uint8_t>(in);
    if (raw > max) return error(field, absl::StrCat("invalid value ", raw));
    out = static_cast<Out>(raw);
    return absl::OkStatus();
  }

  absl::Status dtype(fb::DType in, absl::string_view field, DType &out) {
    return enumValue(in, static_cast<uint8_t>(DType::kI32), field, out);
  }

  // A vector of tables: charges each element, then decodes it.
  template <typename T, typename Fn>
  absl::Status tables(const flatbuffers::Vector<flatbuffers::Offset<T>> *v, absl::string_view field,
                      int64_t max, Fn &&decode_one) {
    if (v == nullptr) return absl::OkStatus();
    LFM_RETURN_IF_ERROR(count(v->size(), max, field));
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) {
      std::string item = absl::StrCat(field, "[", i, "]");
      LFM_RETURN_IF_ERROR(countTable(item));
      const T *t = v->Get(i);
      if (t == nullptr) return error(item, "missing");
      LFM_RETURN_IF_ERROR(decode_one(*t, item));
    }
    return absl::OkStatus();
  }

  // A vector of tables decoded one by one into `out`.
  template <typename T, typename Out, typename Fn>
  absl::Status list(const flatbuffers::Vector<flatbuffers::Offset<T>> *v, absl::string_view field,
                    int64_t max, std::vector<Out> &out, Fn &&decode_one) {
    return tables(v, field, max, [&](const T &t, const std::string &f) {
      Out item{};
      LFM_RETURN_IF_ERROR(decode_one(t, f, item));
      out.push_back(std::move(item));
      return absl::OkStatus();
    });
  }

 private:
  const std::string &path_;
  uint64_t budget_;
  uint64_t table_budget_;
};

absl::Status decodeConfig(Decoder &d, const fb::ModelConfig *c, ModelConfig &out) {
  if (c == nullptr) return d.error("plan.config", "missing");
  LFM_RETURN_IF_ERROR(d.string(c->model_type(), "plan.config.model_type", out.model_type));
  out.vocab_size = c->vocab_size();
  out.hidden_size = c->hidden_size();
  out.intermediate_size = c->intermediate_size();
  out.num_attention_heads = c->num_attention_heads();
  out.num_key_value_heads = c->num_key_value_heads();
  out.head_dim = c->head_dim();
  out.conv_kernel = c->conv_kernel();
  out.conv_bias = c->conv_bias();
  out.norm_eps = c->norm_eps();
  out.rope_theta = c->rope_theta();
  out.max_position_embeddings = c->max_position_embeddings();
  out.tie_word_embeddings = c->tie_word_embeddings();
  out.bos_token_id = c->bos_token_id();
  out.eos_token_id = c->eos_token_id();
  out.pad_token_id = c->pad_token_id();
  LFM_RETURN_IF_ERROR(d.string(c->torch_dtype(), "plan.config.torch_dtype", out.torch_dtype));
  out.layer_types.clear();
  if (const auto *kinds = c->layer_types()) {
    LFM_RETURN_IF_ERROR(d.count(kinds->size(), kMaxLayers, "plan.config.layer_types"));
    LFM_RETURN_IF_ERROR(d.charge(kinds->size(), "plan.config.layer_types"));
    for (flatbuffers::uoffset_t i = 0; i < kinds->size(); ++i) {
      LayerKind k;
      LFM_RETURN_IF_ERROR(d.enumValue(kinds->Get(i), static_cast<uint8_t>(LayerKind::kAttention),
                                      absl::StrCat("plan.config.layer_types[", i, "]"), k));
      out.layer_types.push_back(k);
    }
  }
  return absl::OkStatus();
}

absl::Status decodeRefs(Decoder &d, const flatbuffers::Vector<const fb::BufferRef *> *v,
                        absl::string_view field, std::vector<BufferRef> &out) {
  if (v == nullptr) return absl::OkStatus();
  LFM_RETURN_IF_ERROR(d.count(v->size(), kMaxRefsPerLaunch, field));
  LFM_RETURN_IF_ERROR(d.charge(uint64_t{v->size()} * sizeof(BufferRef), field));
  for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) {
    const fb::BufferRef *r = v->Get(i);
    BufferRef ref;
    LFM_RETURN_IF_ERROR(d.enumValue(r->kind(), static_cast<uint8_t>(BufferRef::kLogits),
                                    absl::StrCat(field, "[", i, "].kind"), ref.kind));
    ref.index = r->index();
    out.push_back(ref);
  }
  return absl::OkStatus();
}

// A launch's attributes, stored by name, into the slots of the schema's
// IntAttr (or FloatAttr): an unknown or repeated name is an error here;
// verifyPlan then checks that the op takes each one.
template <typename Attr, typename FbAttr>
absl::Status decodeAttrs(Decoder &d, const flatbuffers::Vector<flatbuffers::Offset<FbAttr>> *v,
                         const std::string &field, int count,
                         std::optional<Attr> (*find)(std::string_view), Launch &out) {
  return d.tables(v, field, kMaxAttrsPerLaunch, [&](const FbAttr &a, const std::string &f) {
    std::string name;
    LFM_RETURN_IF_ERROR(d.string(a.name(), f + ".name", name));
    std::optional<Attr> attr = find(name);
    if (!attr) {
      std::string known;
      for (int i = 0; i < count; ++i)
        absl::StrAppend(&known, i ? ", " : "", attrName(static_cast<Attr>(i)));
      return d.error(f, absl::StrCat("unknown attribute '", name, "' (known: ", known, ")"));
    }
    if (out.has(*attr)) return d.error(f, absl::StrCat("duplicate attribute '", name, "'"));
    out.set(*attr, a.value());
    return absl::OkStatus();
  });
}

absl::Status decodeLaunch(Decoder &d, const fb::Launch &l, const std::string &field, Launch &out) {
  // Version 2 files carry the op's kind, version 1 files its name.
  std::string name;
  LFM_RETURN_IF_ERROR(d.string(l.op(), field + ".op", name));
  std::optional<OpKind> kind;
  if (std::optional<fb::OpKind> raw = l.kind()) {
    kind = opKindFromValue(static_cast<uint8_t>(*raw));
    if (!kind)
      return d.error(field + ".kind",
                     absl::StrCat("invalid value ", static_cast<int>(*raw),
                                  " (this runtime knows ", kNumOpKinds, " ops)"));
    if (!name.empty() && name != opName(*kind))
      return d.error(field, absl::StrCat("op '", name, "' and kind '", opName(*kind),
                                         "' disagree"));
  } else if (name.empty()) {
    return d.error(field, "names no op (neither kind nor op)");
  } else {
    kind = findOp(name);
    if (!kind) {
      std::string known;
      for (const OpSchema &op : opSchemas())
        absl::StrAppend(&known, known.empty() ? "" : ", ", op.name);
      return d.error(field + ".op", absl::StrCat("unknown op '", name, "' (known: ", known, ")"));
    }
  }
  out.op = *kind;
  LFM_RETURN_IF_ERROR(
      decodeAttrs<IntAttr>(d, l.ints(), field + ".ints", kNumIntAttrs, findIntAttr, out));
  LFM_RETURN_IF_ERROR(
      decodeAttrs<FloatAttr>(d, l.floats(), field + ".floats", kNumFloatAttrs, findFloatAttr, out));
  LFM_RETURN_IF_ERROR(decodeRefs(d, l.operands(), field + ".operands", out.operands));
  LFM_RETURN_IF_ERROR(decodeRefs(d, l.results(), field + ".results", out.results));
  out.layer = l.layer();
  out.kernel = l.kernel();
  out.large_rows_kernel = l.large_rows_kernel();
  out.large_rows_threshold = l.large_rows_threshold();
  out.large_rows_basis = static_cast<LargeRowsBasis>(l.large_rows_basis());
  return absl::OkStatus();
}

absl::Status decodeWeight(Decoder &d, const fb::WeightSpec &w, const std::string &field,
                          WeightSpec &out) {
  LFM_RETURN_IF_ERROR(d.string(w.name(), field + ".name", out.name));
  LFM_RETURN_IF_ERROR(d.dtype(w.dtype(), field + ".dtype", out.dtype));
  LFM_RETURN_IF_ERROR(d.scalars(w.shape(), field + ".shape", out.shape, kMaxRank));
  uint8_t quant = 0;
  LFM_RETURN_IF_ERROR(d.enumValue(w.quant(), static_cast<uint8_t>(fb::QuantFormat::MAX),
                                  field + ".quant", quant));
  if (quant != 0) out.quant = static_cast<QuantFormat>(quant - 1);
  return d.list(w.sources(), field + ".sources", kMaxSourcesPerWeight, out.sources,
                [&](const fb::WeightSource &s, const std::string &f, WeightSource &src) {
                  LFM_RETURN_IF_ERROR(d.string(s.tensor(), f + ".tensor", src.tensor));
                  return d.scalars(s.shape(), f + ".shape", src.shape, kMaxRank);
                });
}

absl::Status decodePlan(Decoder &d, const fb::Plan *p, Plan &out) {
  if (p == nullptr) return d.error("plan", "missing");
  LFM_RETURN_IF_ERROR(decodeConfig(d, p->config(), out.config));
  LFM_RETURN_IF_ERROR(d.dtype(p->dtype(), "plan.dtype", out.dtype));
  LFM_RETURN_IF_ERROR(d.list(p->weights(), "plan.weights", kMaxWeights, out.weights,
                             [&](const fb::WeightSpec &w, const std::string &f, WeightSpec &spec) {
                               return decodeWeight(d, w, f, spec);
                             }));
  LFM_RETURN_IF_ERROR(
      d.list(p->activations(), "plan.activations", kMaxActivations, out.activations,
             [&](const fb::ActivationSpec &a, const std::string &f, ActivationSpec &spec) {
               LFM_RETURN_IF_ERROR(d.string(a.name(), f + ".name", spec.name));
               spec.width = a.width();
               spec.region = a.region();
               LFM_RETURN_IF_ERROR(d.dtype(a.dtype(), f + ".dtype", spec.dtype));
               return d.enumValue(a.rows(), static_cast<uint8_t>(RowSpace::kLogitRows), f + ".rows",
                                  spec.rows);
             }));
  LFM_RETURN_IF_ERROR(
      d.list(p->conv_states(), "plan.conv_states", kMaxLayers, out.conv_states,
             [&](const fb::ConvStateSpec &c, const std::string &f, ConvStateSpec &spec) {
               spec = {c.layer(), c.hidden(), c.kernel(), DType::kF32};
               return d.dtype(c.dtype(), f + ".dtype", spec.dtype);
             }));
  LFM_RETURN_IF_ERROR(
      d.list(p->kv_caches(), "plan.kv_caches", kMaxLayers, out.kv_caches,
             [&](const fb::KvCacheSpec &k, const std::string &f, KvCacheSpec &spec) {
               spec = {k.layer(), k.kv_heads(), k.head_dim(), DType::kF32};
               return d.dtype(k.dtype(), f + ".dtype", spec.dtype);
             }));
  LFM_RETURN_IF_ERROR(d.list(p->launches(), "plan.launches", kMaxLaunches, out.launches,
                             [&](const fb::Launch &l, const std::string &f, Launch &launch) {
                               return decodeLaunch(d, l, f, launch);
                             }));
  out.default_max_seq_len = p->default_max_seq_len();
  out.default_slots = p->default_slots();
  out.max_tokens_per_step = p->max_tokens_per_step();
  return absl::OkStatus();
}

absl::Status decodeKernel(Decoder &d, const fb::KernelInfo &k, const std::string &field,
                          KernelInfo &out) {
  LFM_RETURN_IF_ERROR(d.string(k.name(), field + ".name", out.name));
  LFM_RETURN_IF_ERROR(d.string(k.entry_point(), field + ".entry_point", out.entry_point));
  LFM_RETURN_IF_ERROR(d.string(k.cuda_source(), field + ".cuda_source", out.cuda_source));
  LFM_RETURN_IF_ERROR(d.list(
      k.binaries(), field + ".binaries", kMaxBinariesPerKernel, out.binaries,
      [&](const fb::KernelBinary &b, const std::string &f, KernelBinary &bin) {
        LFM_RETURN_IF_ERROR(d.string(b.target(), f + ".target", bin.target));
        LFM_RETURN_IF_ERROR(d.enumValue(b.kind(), static_cast<uint8_t>(KernelBinary::Kind::kCubin),
                                        f + ".kind", bin.kind));
        return d.scalars(b.data(), f + ".data", bin.data);
      }));
  std::vector<int32_t> block;
  LFM_RETURN_IF_ERROR(d.scalars(k.block(), field + ".block", block, 3));
  if (block.size() != 3)
    return d.error(field + ".block", absl::StrCat("has ", block.size(), " entries, expected 3"));
  std::copy(block.begin(), block.end(), out.geometry.block.begin());
  LFM_RETURN_IF_ERROR(d.string(k.grid_rule(), field + ".grid_rule", out.geometry.grid_rule));
  LFM_RETURN_IF_ERROR(
      d.scalars(k.grid_args(), field + ".grid_args", out.geometry.grid_args, kMaxGridArgs));
  out.dynamic_shared_bytes = k.dynamic_shared_bytes();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Metadata> decodeMetadata(std::span<const uint8_t> bytes, const std::string &path) {
  Decoder d(path, bytes.size());
  if (bytes.size() < 8 || !flatbuffers::BufferHasIdentifier(bytes.data(), fb::ArtifactIdentifier()))
    return d.error("buffer", "missing the \"LFMM\" identifier (corrupted metadata)");
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), kMaxDepth, kMaxVerifiedTables);
  if (!fb::VerifyArtifactBuffer(verifier))
    return d.error("buffer",
                   "the FlatBuffers verifier rejected it (corrupted or hostile metadata)");
  const fb::Artifact *root = fb::GetArtifact(bytes.data());

  Metadata out;
  LFM_RETURN_IF_ERROR(decodePlan(d, root->plan(), out.plan));
  LFM_RETURN_IF_ERROR(d.list(root->kernels(), "kernels", kMaxKernels, out.kernels,
                             [&](const fb::KernelInfo &k, const std::string &f, KernelInfo &info) {
                               return decodeKernel(d, k, f, info);
                             }));
  if (const auto *extents = root->embedded_weights()) {
    LFM_RETURN_IF_ERROR(d.count(extents->size(), kMaxWeights, "embedded_weights"));
    LFM_RETURN_IF_ERROR(
        d.charge(uint64_t{extents->size()} * sizeof(WeightExtent), "embedded_weights"));
    // The verifier aligns a vector's length prefix (4 bytes), not its 8-byte
    // structs: hostile metadata can misalign them, so each is copied out.
    const uint8_t *raw = extents->Data();
    for (flatbuffers::uoffset_t i = 0; i < extents->size(); ++i) {
      fb::WeightExtent e;
      std::memcpy(&e, raw + i * sizeof(fb::WeightExtent), sizeof e);
      out.embedded_weights.push_back({e.offset(), e.size()});
    }
  }
  if (const fb::TokenizerFiles *t = root->tokenizer()) {
    LFM_RETURN_IF_ERROR(d.countTable("tokenizer"));
    LFM_RETURN_IF_ERROR(
        d.string(t->tokenizer_json(), "tokenizer.tokenizer_json", out.tokenizer.tokenizer_json));
    LFM_RETURN_IF_ERROR(d.string(t->tokenizer_config_json(), "tokenizer.tokenizer_config_json",
                                 out.tokenizer.tokenizer_config_json));
    LFM_RETURN_IF_ERROR(d.string(t->generation_config_json(), "tokenizer.generation_config_json",
                                 out.tokenizer.generation_config_json));
  }
  return out;
}

}  // namespace lfm
