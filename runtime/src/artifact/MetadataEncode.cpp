// Artifact -> FlatBuffer. Field for field with lfma.fbs; strings go through
// CreateString(data, size) so that no name is cut at an embedded NUL.
#include <limits>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include "artifact/Metadata.h"
#include "artifact/lfma_generated.h"

namespace lfm {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// FlatBuffers addresses at most 2 GiB; leave room for the tables around the
// large byte strings (kernel sources and binaries).
constexpr uint64_t kMaxEncodedBytes = (uint64_t{1} << 31) - (uint64_t{64} << 20);

Offset<flatbuffers::String> str(FlatBufferBuilder &b, const std::string &s) {
  return b.CreateString(s.data(), s.size());
}

fb::DType dtype(DType t) { return static_cast<fb::DType>(t); }

Offset<fb::ModelConfig> encodeConfig(FlatBufferBuilder &b, const ModelConfig &c) {
  std::vector<fb::LayerKind> kinds;
  for (LayerKind k : c.layer_types) kinds.push_back(static_cast<fb::LayerKind>(k));
  auto model_type = str(b, c.model_type);
  auto torch_dtype = str(b, c.torch_dtype);
  auto layer_types = b.CreateVector(kinds);
  return fb::CreateModelConfig(b, model_type, c.vocab_size, c.hidden_size, c.intermediate_size,
                               c.num_attention_heads, c.num_key_value_heads, c.head_dim,
                               c.conv_kernel, c.conv_bias, c.norm_eps, c.rope_theta,
                               c.max_position_embeddings, c.tie_word_embeddings, c.bos_token_id,
                               c.eos_token_id, c.pad_token_id, torch_dtype, layer_types);
}

Offset<flatbuffers::Vector<const fb::BufferRef *>> encodeRefs(FlatBufferBuilder &b,
                                                              const std::vector<BufferRef> &refs) {
  std::vector<fb::BufferRef> out;
  for (const BufferRef &r : refs) out.emplace_back(r.index, static_cast<fb::BufferKind>(r.kind));
  return b.CreateVectorOfStructs(out);
}

// lfma.fbs's OpKind mirrors lfm::OpKind value for value.
static_assert(static_cast<int>(fb::OpKind::MAX) + 1 == kNumOpKinds,
              "lfma.fbs OpKind and lfm/OpSchema.h OpKind differ");

// Format version 2: the op as its schema kind, no name string; the
// attributes by their schema names, in IntAttr / FloatAttr order.
Offset<fb::Launch> encodeLaunch(FlatBufferBuilder &b, const Launch &l) {
  std::vector<Offset<fb::IntAttr>> ints;
  for (int i = 0; i < kNumIntAttrs; ++i)
    if (const std::optional<int64_t> &value = l.ints[i])
      ints.push_back(fb::CreateIntAttr(b, str(b, attrName(static_cast<IntAttr>(i))), *value));
  std::vector<Offset<fb::FloatAttr>> floats;
  for (int i = 0; i < kNumFloatAttrs; ++i)
    if (const std::optional<double> &value = l.floats[i])
      floats.push_back(
          fb::CreateFloatAttr(b, str(b, attrName(static_cast<FloatAttr>(i))), *value));
  auto ints_v = b.CreateVector(ints);
  auto floats_v = b.CreateVector(floats);
  auto operands = encodeRefs(b, l.operands);
  auto results = encodeRefs(b, l.results);
  return fb::CreateLaunch(b, /*op=*/0, ints_v, floats_v, operands, results, l.layer, l.kernel,
                          l.large_rows_kernel, l.large_rows_threshold,
                          static_cast<uint8_t>(l.large_rows_basis),
                          static_cast<fb::OpKind>(l.op));
}

Offset<fb::WeightSpec> encodeWeight(FlatBufferBuilder &b, const WeightSpec &w) {
  std::vector<Offset<fb::WeightSource>> sources;
  for (const WeightSource &s : w.sources)
    sources.push_back(fb::CreateWeightSource(b, str(b, s.tensor), b.CreateVector(s.shape)));
  auto name = str(b, w.name);
  auto shape = b.CreateVector(w.shape);
  auto sources_v = b.CreateVector(sources);
  auto quant = w.quant ? static_cast<fb::QuantFormat>(static_cast<uint8_t>(*w.quant) + 1)
                       : fb::QuantFormat::None;
  return fb::CreateWeightSpec(b, name, dtype(w.dtype), shape, sources_v, quant);
}

Offset<fb::Plan> encodePlan(FlatBufferBuilder &b, const Plan &p) {
  auto config = encodeConfig(b, p.config);
  std::vector<Offset<fb::WeightSpec>> weights;
  for (const WeightSpec &w : p.weights) weights.push_back(encodeWeight(b, w));
  std::vector<Offset<fb::ActivationSpec>> activations;
  for (const ActivationSpec &a : p.activations)
    activations.push_back(fb::CreateActivationSpec(b, str(b, a.name), a.width, dtype(a.dtype),
                                                   static_cast<fb::RowSpace>(a.rows), a.region));
  std::vector<Offset<fb::ConvStateSpec>> conv_states;
  for (const ConvStateSpec &c : p.conv_states)
    conv_states.push_back(fb::CreateConvStateSpec(b, c.layer, c.hidden, c.kernel, dtype(c.dtype)));
  std::vector<Offset<fb::KvCacheSpec>> kv_caches;
  for (const KvCacheSpec &k : p.kv_caches)
    kv_caches.push_back(fb::CreateKvCacheSpec(b, k.layer, k.kv_heads, k.head_dim, dtype(k.dtype)));
  std::vector<Offset<fb::Launch>> launches;
  for (const Launch &l : p.launches) launches.push_back(encodeLaunch(b, l));
  auto weights_v = b.CreateVector(weights);
  auto activations_v = b.CreateVector(activations);
  auto conv_states_v = b.CreateVector(conv_states);
  auto kv_caches_v = b.CreateVector(kv_caches);
  auto launches_v = b.CreateVector(launches);
  return fb::CreatePlan(b, config, dtype(p.dtype), weights_v, activations_v, conv_states_v,
                        kv_caches_v, launches_v, p.default_max_seq_len, p.default_slots,
                        p.max_tokens_per_step);
}

Offset<fb::KernelInfo> encodeKernel(FlatBufferBuilder &b, const KernelInfo &k) {
  std::vector<Offset<fb::KernelBinary>> binaries;
  for (const KernelBinary &bin : k.binaries)
    binaries.push_back(fb::CreateKernelBinary(
        b, str(b, bin.target), static_cast<fb::BinaryKind>(bin.kind), b.CreateVector(bin.data)));
  std::vector<int32_t> block(k.geometry.block.begin(), k.geometry.block.end());
  auto name = str(b, k.name);
  auto entry = str(b, k.entry_point);
  auto binaries_v = b.CreateVector(binaries);
  auto source = str(b, k.cuda_source);
  auto block_v = b.CreateVector(block);
  auto grid_rule = str(b, k.geometry.grid_rule);
  auto grid_args = b.CreateVector(k.geometry.grid_args);
  return fb::CreateKernelInfo(b, name, entry, binaries_v, source, block_v, grid_rule, grid_args,
                              k.dynamic_shared_bytes);
}

// A generous bound on the encoded size, dominated by kernel sources and
// binaries, checked before building because the builder cannot fail.
uint64_t estimateSize(const Artifact &a) {
  uint64_t n = uint64_t{1} << 20;
  for (const KernelInfo &k : a.kernels) {
    n += k.cuda_source.size() + k.name.size() + k.entry_point.size() + 1024;
    for (const KernelBinary &bin : k.binaries) n += bin.data.size() + bin.target.size() + 64;
  }
  for (const WeightSpec &w : a.plan.weights) {
    n += w.name.size() + 64 + 8 * w.shape.size();
    for (const WeightSource &s : w.sources) n += s.tensor.size() + 64 + 8 * s.shape.size();
  }
  for (const Launch &l : a.plan.launches)
    n += 128 + 64 * (kNumIntAttrs + kNumFloatAttrs) + 8 * (l.operands.size() + l.results.size());
  n += a.tokenizer.tokenizer_json.size() + a.tokenizer.tokenizer_config_json.size() +
       a.tokenizer.generation_config_json.size() + 256;
  n += 64 * a.plan.activations.size() + 64 * (a.plan.conv_states.size() + a.plan.kv_caches.size());
  return n;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> encodeMetadata(const Artifact &artifact,
                                                    const std::vector<WeightExtent> &extents) {
  if (uint64_t estimate = estimateSize(artifact); estimate > kMaxEncodedBytes)
    return absl::ResourceExhaustedError(absl::StrCat(
        "artifact metadata would take about ", estimate,
        " bytes, more than a FlatBuffer can hold (2 GiB); kernel binaries are too large"));
  for (size_t i = 0; i < artifact.plan.launches.size(); ++i) {
    const OpKind op = artifact.plan.launches[i].op;
    if (!opKindFromValue(static_cast<uint32_t>(op)))
      return absl::InvalidArgumentError(absl::StrCat("plan.launches[", i, "]: op ",
                                                     static_cast<int>(op),
                                                     " is not in the op schema"));
  }
  FlatBufferBuilder b(uint64_t{1} << 16);
  auto plan = encodePlan(b, artifact.plan);
  std::vector<Offset<fb::KernelInfo>> kernels;
  for (const KernelInfo &k : artifact.kernels) kernels.push_back(encodeKernel(b, k));
  auto kernels_v = b.CreateVector(kernels);
  std::vector<fb::WeightExtent> fb_extents;
  for (const WeightExtent &e : extents) fb_extents.emplace_back(e.offset, e.size);
  auto extents_v = b.CreateVectorOfStructs(fb_extents);
  const TokenizerFiles &t = artifact.tokenizer;
  auto optional = [&](const std::string &s) { return s.empty() ? 0 : str(b, s); };
  auto tokenizer = t.empty() ? 0
                             : fb::CreateTokenizerFiles(b, optional(t.tokenizer_json),
                                                        optional(t.tokenizer_config_json),
                                                        optional(t.generation_config_json));
  b.Finish(fb::CreateArtifact(b, plan, kernels_v, extents_v, tokenizer), fb::ArtifactIdentifier());
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

}  // namespace lfm
