// An LFM2 GGUF's metadata as the HF config.json object (see lfm/GgufLfm2.h).
#include <charconv>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "lfm/GgufLfm2.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

using json = nlohmann::json;

// A float32 as the shortest decimal that reads back to it, as a double: the
// converter wrote float32(1e-5), and 1e-05 is what the HF config said.
double shortestDouble(const GgufValue &value) {
  double d = *value.asFloat();
  if (value.type() != GgufType::kFloat32) return d;
  char text[64];
  auto [end, ec] = std::to_chars(text, text + sizeof(text) - 1, static_cast<float>(d));
  if (ec != std::errc()) return d;
  *end = '\0';
  return std::strtod(text, nullptr);
}

absl::StatusOr<double> getShortFloat(const GgufFile &gguf, const std::string &key) {
  LFM_RETURN_IF_ERROR(gguf.getFloat(key).status());
  return shortestDouble(*gguf.find(key));
}

// A per-layer value (an array of one integer per layer) or one for all.
absl::StatusOr<std::vector<int64_t>> perLayer(const GgufFile &gguf, const std::string &key,
                                              int64_t layers) {
  const GgufValue *v = gguf.find(key);
  if (v == nullptr)
    return absl::NotFoundError(absl::StrCat(gguf.where(), ": metadata key '", key, "' is missing"));
  if (!v->isArray()) {
    LFM_ASSIGN_OR_RETURN(int64_t n, gguf.getInt(key));
    return std::vector<int64_t>(static_cast<size_t>(layers), n);
  }
  if (v->size() != static_cast<size_t>(layers))
    return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": metadata '", key, "' is ",
                                                   v->describe(), ", expected one per layer (",
                                                   layers, ")"));
  std::vector<int64_t> values;
  for (size_t i = 0; i < v->size(); ++i) {
    std::optional<int64_t> n = v->element(i).asInt();
    if (!n)
      return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": metadata '", key, "'[", i,
                                                     "] is ", v->element(i).describe(),
                                                     ", expected an integer"));
    values.push_back(*n);
  }
  return values;
}

// The one value the attention layers share; 0 if there are none.
absl::StatusOr<int64_t> attentionValue(const GgufFile &gguf, const std::string &key,
                                       const std::vector<int64_t> &values,
                                       const std::vector<bool> &attention) {
  int64_t value = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!attention[i]) continue;
    if (value != 0 && values[i] != value)
      return absl::InvalidArgumentError(absl::StrCat(
          gguf.where(), ": metadata '", key, "' differs between attention layers (", value,
          " and ", values[i], " at layer ", i, "); lfm needs one value"));
    value = values[i];
  }
  return value;
}

const char *torchDtype(const GgufFile &gguf) {
  const GgufTensor *embed = gguf.tensor("token_embd.weight");
  if (embed != nullptr && embed->type == static_cast<uint32_t>(GgmlType::kF16)) return "float16";
  if (embed != nullptr && embed->type == static_cast<uint32_t>(GgmlType::kBF16)) return "bfloat16";
  return "float32";
}

}  // namespace

absl::StatusOr<json> lfm2ConfigFromGguf(const GgufFile &gguf) {
  LFM_ASSIGN_OR_RETURN(std::string_view arch, gguf.getString("general.architecture"));
  if (arch != "lfm2")
    return absl::InvalidArgumentError(absl::StrCat(gguf.where(), ": general.architecture is '",
                                                   std::string(arch.substr(0, 64)),
                                                   "'; lfm runs 'lfm2'"));
  json config = json::object();
  config["architectures"] = json::array({"Lfm2ForCausalLM"});
  config["model_type"] = "lfm2";
  LFM_ASSIGN_OR_RETURN(int64_t layers, gguf.getInt("lfm2.block_count"));
  if (layers < 1 || layers > 4096)
    return absl::InvalidArgumentError(
        absl::StrCat(gguf.where(), ": lfm2.block_count ", layers, " is out of range"));
  config["num_hidden_layers"] = layers;
  LFM_ASSIGN_OR_RETURN(config["hidden_size"], gguf.getInt("lfm2.embedding_length"));
  // The converter writes the width after block_auto_adjust_ff_dim.
  LFM_ASSIGN_OR_RETURN(config["intermediate_size"], gguf.getInt("lfm2.feed_forward_length"));
  config["block_auto_adjust_ff_dim"] = false;

  LFM_ASSIGN_OR_RETURN(std::vector<int64_t> kv_heads,
                       perLayer(gguf, "lfm2.attention.head_count_kv", layers));
  if (!gguf.find("lfm2.attention.head_count_kv")->isArray())
    return absl::InvalidArgumentError(absl::StrCat(
        gguf.where(), ": lfm2.attention.head_count_kv is a single value; an LFM2 GGUF gives one "
                      "per layer (0 for conv layers), which says the layer types"));
  std::vector<bool> attention;
  json layer_types = json::array();
  for (int64_t n : kv_heads) {
    attention.push_back(n != 0);
    layer_types.push_back(n != 0 ? "full_attention" : "conv");
  }
  config["layer_types"] = layer_types;
  LFM_ASSIGN_OR_RETURN(std::vector<int64_t> heads,
                       perLayer(gguf, "lfm2.attention.head_count", layers));
  LFM_ASSIGN_OR_RETURN(int64_t num_heads,
                       attentionValue(gguf, "lfm2.attention.head_count", heads, attention));
  LFM_ASSIGN_OR_RETURN(int64_t num_kv_heads,
                       attentionValue(gguf, "lfm2.attention.head_count_kv", kv_heads, attention));
  if (num_heads == 0) num_heads = heads.empty() ? 0 : heads[0];  // no attention layers
  config["num_attention_heads"] = num_heads;
  config["num_key_value_heads"] = num_kv_heads != 0 ? num_kv_heads : num_heads;
  if (gguf.find("lfm2.attention.key_length")) {
    LFM_ASSIGN_OR_RETURN(config["head_dim"], gguf.getInt("lfm2.attention.key_length"));
  }

  LFM_ASSIGN_OR_RETURN(config["max_position_embeddings"], gguf.getInt("lfm2.context_length"));
  LFM_ASSIGN_OR_RETURN(config["norm_eps"],
                       getShortFloat(gguf, "lfm2.attention.layer_norm_rms_epsilon"));
  LFM_ASSIGN_OR_RETURN(config["rope_theta"], getShortFloat(gguf, "lfm2.rope.freq_base"));
  LFM_ASSIGN_OR_RETURN(config["conv_L_cache"], gguf.getInt("lfm2.shortconv.l_cache"));
  config["conv_bias"] = gguf.tensor("blk.0.shortconv.conv.bias") != nullptr;

  if (gguf.find("lfm2.vocab_size")) {
    LFM_ASSIGN_OR_RETURN(config["vocab_size"], gguf.getInt("lfm2.vocab_size"));
  } else if (const GgufTensor *embed = gguf.tensor("token_embd.weight");
             embed != nullptr && embed->dims.size() == 2) {
    config["vocab_size"] = embed->dims[1];
  } else {
    return absl::NotFoundError(absl::StrCat(
        gguf.where(), ": neither lfm2.vocab_size nor a 2-D token_embd.weight gives the vocab size"));
  }
  config["tie_word_embeddings"] = gguf.tensor("output.weight") == nullptr;
  for (const auto &[key, hf] : {std::pair{"tokenizer.ggml.bos_token_id", "bos_token_id"},
                                {"tokenizer.ggml.eos_token_id", "eos_token_id"},
                                {"tokenizer.ggml.padding_token_id", "pad_token_id"}})
    if (gguf.find(key)) {
      LFM_ASSIGN_OR_RETURN(config[hf], gguf.getInt(key));
    }
  config["torch_dtype"] = torchDtype(gguf);
  return config;
}

}  // namespace lfm
