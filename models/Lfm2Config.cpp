// Hugging Face LFM2 config.json -> lfm::ModelConfig. The rules (required
// fields, defaults, legacy keys) are documented in Lfm2Config.h.
#include "models/Lfm2Config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "lfm/JsonNesting.h"
#include "lfm/StatusMacros.h"

namespace lfm::models {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// Strings echoed from the file are clipped so that a hostile value cannot
// flood the error message.
std::string clip(absl::string_view text) {
  constexpr size_t kMaxEcho = 64;
  if (text.size() <= kMaxEcho)
    return std::string(text);
  return absl::StrCat(text.substr(0, kMaxEcho), "...");
}

// Values shown in messages. Numbers go through json::dump, which prints the
// shortest text that reads back exactly (1e-05, 1000000.0).
std::string show(int64_t value) { return absl::StrCat(value); }
std::string show(double value) { return json(value).dump(); }
std::string show(bool value) { return value ? "true" : "false"; }
std::string show(const std::string &value) { return absl::StrCat("'", clip(value), "'"); }

// "an integer (5)", "a string ('x')": what the file holds, for type errors.
// Only scalars are dumped; containers are named, never printed (they may be
// huge or deeply nested).
std::string describe(const json &value) {
  switch (value.type()) {
  case json::value_t::null:
    return "null";
  case json::value_t::boolean:
    return absl::StrCat("a boolean (", value.dump(), ")");
  case json::value_t::number_integer:
    return absl::StrCat("an integer (", value.dump(), ")");
  case json::value_t::number_unsigned:
    return value.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}
               ? absl::StrCat("an integer too large for 64 bits (", value.dump(), ")")
               : absl::StrCat("an integer (", value.dump(), ")");
  case json::value_t::number_float:
    return absl::StrCat("a floating-point number (", value.dump(), ")");
  case json::value_t::string:
    return absl::StrCat("a string (", show(value.get_ref<const std::string &>()), ")");
  case json::value_t::array:
    return "an array";
  case json::value_t::object:
    return "an object";
  default:
    return "an unsupported value";
  }
}

// How a JSON value converts to each C++ type the config uses: nullopt when
// the JSON type is wrong. A float is never accepted where an integer is
// needed (transformers would build a broken model from hidden_size 2048.5),
// but an integer is a fine number.
template <class T> struct JsonKind;

template <> struct JsonKind<int64_t> {
  static constexpr absl::string_view kName = "an integer";
  static std::optional<int64_t> from(const json &value) {
    if (value.is_number_unsigned()) {
      uint64_t u = value.get<uint64_t>();
      if (u > uint64_t{std::numeric_limits<int64_t>::max()})
        return std::nullopt;
      return static_cast<int64_t>(u);
    }
    if (value.is_number_integer())
      return value.get<int64_t>();
    return std::nullopt;
  }
};

template <> struct JsonKind<double> {
  static constexpr absl::string_view kName = "a number";
  static std::optional<double> from(const json &value) {
    if (value.is_number())
      return value.get<double>();
    return std::nullopt;
  }
};

template <> struct JsonKind<bool> {
  static constexpr absl::string_view kName = "a boolean";
  static std::optional<bool> from(const json &value) {
    if (value.is_boolean())
      return value.get<bool>();
    return std::nullopt;
  }
};

template <> struct JsonKind<std::string> {
  static constexpr absl::string_view kName = "a string";
  static std::optional<std::string> from(const json &value) {
    if (value.is_string())
      return value.get<std::string>();
    return std::nullopt;
  }
};

// How a legacy key relates to its modern name (see Lfm2Config.h).
enum class Legacy {
  kWins,      // transformers reads the legacy key first (block_ff_dim, theta).
  kMustAgree, // transformers ignores it; it only stands in for a missing key.
};

// A config field, optionally with the legacy name that shipped configs use.
struct Key {
  absl::string_view name;
  absl::string_view legacy = {};
  Legacy rule = Legacy::kMustAgree;
};

// A value and the key it was actually read from, so that range errors name
// the key the user wrote (block_ff_dim, not intermediate_size).
template <class T> struct Field {
  T value;
  absl::string_view key;
};

// Typed, validated access to one JSON object. Every error it makes starts
// with the source name and names the field.
class ConfigReader {
public:
  ConfigReader(const json &object, absl::string_view source, std::string prefix = {})
      : object_(object), source_(source), prefix_(std::move(prefix)) {}

  absl::Status error(absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", message));
  }
  absl::Status fieldError(absl::string_view key, absl::string_view problem) const {
    return error(absl::StrCat("field '", prefix_, key, "' ", problem));
  }

  // A reader for the object under KEY, whose errors name "KEY.field".
  ConfigReader nested(const json &object, absl::string_view key) const {
    return ConfigReader(object, source_, absl::StrCat(prefix_, key, "."));
  }

  // The value under KEY, or nullptr when it is absent or null.
  const json *find(absl::string_view key) const {
    auto it = object_.find(std::string(key));
    if (it == object_.end() || it->is_null())
      return nullptr;
    return &*it;
  }
  bool isNull(absl::string_view key) const {
    auto it = object_.find(std::string(key));
    return it != object_.end() && it->is_null();
  }

  // VALUE as a T; WHAT names it in the error ("layer_types[3]").
  template <class T> absl::StatusOr<T> convert(const json &value, absl::string_view what) const {
    if (std::optional<T> converted = JsonKind<T>::from(value))
      return *std::move(converted);
    return fieldError(what,
                      absl::StrCat("must be ", JsonKind<T>::kName, ", got ", describe(value)));
  }

  // KEY as a T, or nullopt when absent or null.
  template <class T> absl::StatusOr<std::optional<T>> get(absl::string_view key) const {
    const json *value = find(key);
    if (value == nullptr)
      return std::optional<T>();
    LFM_ASSIGN_OR_RETURN(T converted, convert<T>(*value, key));
    return std::optional<T>(std::move(converted));
  }

  // KEY, if present, must equal REFERENCE.
  template <class T>
  absl::Status checkAgrees(absl::string_view key, const Field<T> &reference) const {
    LFM_ASSIGN_OR_RETURN(std::optional<T> value, get<T>(key));
    if (value && *value != reference.value)
      return fieldError(key, absl::StrCat("(", show(*value), ") disagrees with '", prefix_,
                                          reference.key, "' (", show(reference.value), ")"));
    return absl::OkStatus();
  }

  // KEY resolved against its legacy name; nullopt when neither is given.
  template <class T> absl::StatusOr<std::optional<Field<T>>> lookup(const Key &key) const {
    LFM_ASSIGN_OR_RETURN(std::optional<T> modern, get<T>(key.name));
    if (key.legacy.empty())
      return modern ? std::optional(Field<T>{*std::move(modern), key.name}) : std::nullopt;
    if (modern && key.rule == Legacy::kMustAgree) {
      Field<T> field{*std::move(modern), key.name};
      LFM_RETURN_IF_ERROR(checkAgrees(key.legacy, field));
      return std::optional(std::move(field));
    }
    LFM_ASSIGN_OR_RETURN(std::optional<T> legacy, get<T>(key.legacy));
    if (legacy)
      return std::optional(Field<T>{*std::move(legacy), key.legacy});
    return modern ? std::optional(Field<T>{*std::move(modern), key.name}) : std::nullopt;
  }

  template <class T> absl::StatusOr<Field<T>> required(const Key &key) const {
    LFM_ASSIGN_OR_RETURN(std::optional<Field<T>> found, lookup<T>(key));
    if (found)
      return *std::move(found);
    std::string problem = isNull(key.name) ? "is null but required" : "is required";
    if (!key.legacy.empty())
      absl::StrAppend(&problem, " (or its legacy name '", key.legacy, "')");
    return fieldError(key.name, problem);
  }

  template <class T> absl::StatusOr<Field<T>> withDefault(const Key &key, T fallback) const {
    LFM_ASSIGN_OR_RETURN(std::optional<Field<T>> found, lookup<T>(key));
    if (found)
      return *std::move(found);
    return Field<T>{std::move(fallback), key.name};
  }

  absl::Status checkRange(const Field<int64_t> &field, int64_t low, int64_t high) const {
    if (field.value < low)
      return fieldError(field.key,
                        absl::StrCat("(", field.value, ") must be ",
                                     low == 1 ? "positive" : absl::StrCat("at least ", low)));
    if (field.value > high)
      return fieldError(field.key, absl::StrCat("(", field.value, ") must be at most ", high));
    return absl::OkStatus();
  }

  absl::Status checkPositive(const Field<double> &field) const {
    // Written so that NaN fails too.
    if (!(field.value > 0.0) || !std::isfinite(field.value))
      return fieldError(field.key, absl::StrCat("(", show(field.value), ") must be positive"));
    return absl::OkStatus();
  }

  // A size: required when FALLBACK is nullopt, and within [1, HIGH].
  absl::StatusOr<Field<int64_t>> dimension(const Key &key,
                                           std::optional<int64_t> fallback = std::nullopt,
                                           int64_t high = kMaxDimension) const {
    Field<int64_t> field{0, key.name};
    if (fallback) {
      LFM_ASSIGN_OR_RETURN(field, withDefault<int64_t>(key, *fallback));
    } else {
      LFM_ASSIGN_OR_RETURN(field, required<int64_t>(key));
    }
    LFM_RETURN_IF_ERROR(checkRange(field, 1, high));
    return field;
  }

  // A positive real number with a default.
  absl::StatusOr<Field<double>> positiveNumber(const Key &key, double fallback) const {
    LFM_ASSIGN_OR_RETURN(Field<double> field, withDefault<double>(key, fallback));
    LFM_RETURN_IF_ERROR(checkPositive(field));
    return field;
  }

private:
  const json &object_;
  absl::string_view source_;
  std::string prefix_;
};

absl::StatusOr<json> parseJson(absl::string_view text, absl::string_view source) {
  // nlohmann's parser and destructor are iterative, but copies recurse:
  // nesting is bounded first. Its errors are exceptions, caught here.
  LFM_RETURN_IF_ERROR(
      checkJsonNesting(std::string_view(text.data(), text.size()),
                       std::string_view(source.data(), source.size())));
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception &e) {
    // Drop the "[json.exception.parse_error.101] parse error " prefix and
    // keep the position ("at line 3, column 7: ...").
    absl::string_view what = e.what();
    if (size_t end = what.find("] "); absl::StartsWith(what, "[") && end != absl::string_view::npos)
      what.remove_prefix(end + 2);
    absl::ConsumePrefix(&what, "parse error ");
    constexpr size_t kMaxDetail = 240;
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": invalid JSON: ", what.substr(0, kMaxDetail)));
  }
}

absl::Status checkModelType(const ConfigReader &r) {
  LFM_ASSIGN_OR_RETURN(Field<std::string> type, r.required<std::string>(Key{"model_type"}));
  if (type.value != "lfm2")
    return r.fieldError(type.key,
                        absl::StrCat("is ", show(type.value), "; only 'lfm2' is supported"));
  return absl::OkStatus();
}

// Heads, KV heads and head_dim, which must tile the hidden size.
absl::Status readAttentionShape(const ConfigReader &r, const Field<int64_t> &hidden,
                                ModelConfig &config) {
  LFM_ASSIGN_OR_RETURN(Field<int64_t> heads,
                       r.dimension(Key{"num_attention_heads", "num_heads", Legacy::kMustAgree}));
  LFM_ASSIGN_OR_RETURN(Field<int64_t> kvHeads, r.dimension(Key{"num_key_value_heads"}));
  if (heads.value % kvHeads.value != 0)
    return r.fieldError(kvHeads.key, absl::StrCat("(", kvHeads.value, ") must divide '", heads.key,
                                                  "' (", heads.value, ")"));

  LFM_ASSIGN_OR_RETURN(std::optional<Field<int64_t>> explicitHeadDim,
                       r.lookup<int64_t>(Key{"head_dim"}));
  int64_t headDim = 0;
  if (explicitHeadDim) {
    LFM_RETURN_IF_ERROR(r.checkRange(*explicitHeadDim, 1, kMaxDimension));
    headDim = explicitHeadDim->value;
  } else if (hidden.value % heads.value != 0) {
    return r.fieldError(heads.key,
                        absl::StrCat("(", heads.value, ") must divide '", hidden.key, "' (",
                                     hidden.value, ") when 'head_dim' is not given"));
  } else {
    headDim = hidden.value / heads.value;
  }
  // Rotary embeddings rotate channel pairs (rotate-half), so an odd head_dim
  // has no valid RoPE.
  if (headDim % 2 != 0)
    return r.fieldError(
        "head_dim", absl::StrCat("(", headDim,
                                 explicitHeadDim ? "" : ", from hidden_size / num_attention_heads",
                                 ") must be even for rotary embeddings"));

  config.num_attention_heads = heads.value;
  config.num_key_value_heads = kvHeads.value;
  config.head_dim = headDim;
  return absl::OkStatus();
}

} // namespace

int64_t effectiveFfnWidth(int64_t ffDim, bool autoAdjust, double multiplier, int64_t multipleOf) {
  if (!autoAdjust)
    return ffDim;
  // Python: int(2 * ff / 3) is a float division truncated toward zero; so
  // is int(multiplier * ff).
  double width = std::trunc(2.0 * static_cast<double>(ffDim) / 3.0);
  width = std::trunc(multiplier * width);
  // Saturate (NaN included) instead of overflowing the conversion below.
  constexpr double kSaturated = 4611686018427387904.0; // 2^62
  if (!(width < kSaturated))
    width = kSaturated;
  if (width < 0)
    width = 0;
  int64_t truncated = static_cast<int64_t>(width);
  // Out-of-contract rounding steps are clamped rather than dividing by zero.
  multipleOf = std::clamp<int64_t>(multipleOf, 1, kMaxDimension);
  return multipleOf * ((truncated + multipleOf - 1) / multipleOf);
}

namespace {

// The FFN width Lfm2MLP builds: intermediate_size (or block_ff_dim) after the
// block_auto_adjust_ff_dim rule.
absl::StatusOr<int64_t> readFfnWidth(const ConfigReader &r) {
  LFM_ASSIGN_OR_RETURN(Field<int64_t> ffDim,
                       r.dimension(Key{"intermediate_size", "block_ff_dim", Legacy::kWins}));
  LFM_ASSIGN_OR_RETURN(Field<bool> autoAdjust,
                       r.withDefault<bool>(Key{"block_auto_adjust_ff_dim"}, true));
  // null means "no multiplier" in transformers, the same as 1.0.
  LFM_ASSIGN_OR_RETURN(Field<double> multiplier,
                       r.positiveNumber(Key{"block_ffn_dim_multiplier"}, 1.0));
  LFM_ASSIGN_OR_RETURN(Field<int64_t> multipleOf, r.dimension(Key{"block_multiple_of"}, 256));
  int64_t width =
      effectiveFfnWidth(ffDim.value, autoAdjust.value, multiplier.value, multipleOf.value);
  if (width < 1 || width > kMaxDimension)
    return r.fieldError(ffDim.key,
                        absl::StrCat("(", ffDim.value, ") gives an effective FFN width of ", width,
                                     " after block_auto_adjust_ff_dim (multiplier ",
                                     show(multiplier.value), ", multiple of ", multipleOf.value,
                                     "); it must be between 1 and ", kMaxDimension));
  return width;
}

// A special token id: transformers' default when absent, -1 when null (no
// such token), else an index into the vocabulary.
absl::StatusOr<int64_t> readTokenId(const ConfigReader &r, absl::string_view key, int64_t fallback,
                                    int64_t vocabSize) {
  if (r.isNull(key))
    return int64_t{-1};
  LFM_ASSIGN_OR_RETURN(Field<int64_t> id, r.withDefault<int64_t>(Key{key}, fallback));
  if (id.value < 0)
    return r.fieldError(key,
                        absl::StrCat("(", id.value, ") must be non-negative (or null for none)"));
  if (id.value >= vocabSize)
    return r.fieldError(
        key, absl::StrCat("(", id.value, ") must be less than 'vocab_size' (", vocabSize, ")"));
  return id.value;
}

absl::StatusOr<std::string> readTorchDtype(const ConfigReader &r) {
  LFM_ASSIGN_OR_RETURN(
      Field<std::string> dtype,
      r.withDefault<std::string>(Key{"torch_dtype", "dtype", Legacy::kMustAgree}, "float32"));
  if (dtype.value != "float32" && dtype.value != "bfloat16" && dtype.value != "float16")
    return r.fieldError(dtype.key, absl::StrCat("is ", show(dtype.value),
                                                "; expected 'float32', 'bfloat16' or 'float16'"));
  return dtype.value;
}

// A rope_scaling / rope_parameters object: only plain RoPE is supported, and
// its rope_theta (validated) is returned when it has one.
absl::StatusOr<std::optional<double>> readRopeBlock(const ConfigReader &r, absl::string_view key) {
  const json *block = r.find(key);
  if (block == nullptr)
    return std::optional<double>();
  if (!block->is_object())
    return r.fieldError(key, absl::StrCat("must be an object, got ", describe(*block)));
  ConfigReader inner = r.nested(*block, key);
  LFM_ASSIGN_OR_RETURN(std::optional<Field<std::string>> type,
                       inner.lookup<std::string>(Key{"rope_type", "type", Legacy::kMustAgree}));
  if (type && type->value != "default")
    return inner.fieldError(
        type->key, absl::StrCat("is ", show(type->value), "; only 'default' RoPE is supported"));
  LFM_ASSIGN_OR_RETURN(std::optional<Field<double>> theta, inner.lookup<double>(Key{"rope_theta"}));
  if (!theta)
    return std::optional<double>();
  LFM_RETURN_IF_ERROR(inner.checkPositive(*theta));
  return std::optional(theta->value);
}

absl::StatusOr<double> readRopeTheta(const ConfigReader &r) {
  LFM_ASSIGN_OR_RETURN(std::optional<double> fromParameters, readRopeBlock(r, "rope_parameters"));
  LFM_ASSIGN_OR_RETURN(std::optional<double> fromScaling, readRopeBlock(r, "rope_scaling"));
  double fallback = fromParameters.value_or(fromScaling.value_or(1e6));
  LFM_ASSIGN_OR_RETURN(Field<double> theta,
                       r.positiveNumber(Key{"rope_theta", "theta", Legacy::kWins}, fallback));
  return theta.value;
}

absl::StatusOr<std::vector<LayerKind>> layersFromTypes(const ConfigReader &r, const json &types,
                                                       int64_t numLayers) {
  if (!types.is_array())
    return r.fieldError("layer_types", absl::StrCat("must be an array, got ", describe(types)));
  if (static_cast<int64_t>(types.size()) != numLayers)
    return r.fieldError(
        "layer_types",
        absl::StrCat("has ", types.size(), " entries but 'num_hidden_layers' is ", numLayers));
  std::vector<LayerKind> layers;
  layers.reserve(types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    std::string what = absl::StrCat("layer_types[", i, "]");
    LFM_ASSIGN_OR_RETURN(std::string type, r.convert<std::string>(types[i], what));
    // transformers treats every type but "full_attention" as conv; a typo
    // must not silently become a conv layer.
    if (type == "conv") {
      layers.push_back(LayerKind::kConv);
    } else if (type == "full_attention") {
      layers.push_back(LayerKind::kAttention);
    } else {
      return r.fieldError(what,
                          absl::StrCat("is ", show(type), "; expected 'conv' or 'full_attention'"));
    }
  }
  return layers;
}

absl::StatusOr<std::vector<LayerKind>>
layersFromAttentionIndices(const ConfigReader &r, const json &indices, int64_t numLayers) {
  if (!indices.is_array())
    return r.fieldError("full_attn_idxs",
                        absl::StrCat("must be an array, got ", describe(indices)));
  std::vector<LayerKind> layers(static_cast<size_t>(numLayers), LayerKind::kConv);
  for (size_t i = 0; i < indices.size(); ++i) {
    std::string what = absl::StrCat("full_attn_idxs[", i, "]");
    LFM_ASSIGN_OR_RETURN(int64_t index, r.convert<int64_t>(indices[i], what));
    if (index < 0 || index >= numLayers)
      return r.fieldError(
          what,
          absl::StrCat("(", index, ") is not a layer index: 'num_hidden_layers' is ", numLayers));
    LayerKind &layer = layers[static_cast<size_t>(index)];
    if (layer == LayerKind::kAttention)
      return r.fieldError(what, absl::StrCat("(", index, ") repeats an earlier index"));
    layer = LayerKind::kAttention;
  }
  return layers;
}

// layer_types, else full_attn_idxs; when both are given they must agree.
absl::StatusOr<std::vector<LayerKind>> readLayerLayout(const ConfigReader &r, int64_t numLayers) {
  const json *types = r.find("layer_types");
  const json *indices = r.find("full_attn_idxs");
  if (types == nullptr && indices == nullptr)
    return r.error("missing layer layout: expected field 'layer_types' or 'full_attn_idxs'");
  std::optional<std::vector<LayerKind>> fromTypes, fromIndices;
  if (types != nullptr) {
    LFM_ASSIGN_OR_RETURN(fromTypes, layersFromTypes(r, *types, numLayers));
  }
  if (indices != nullptr) {
    LFM_ASSIGN_OR_RETURN(fromIndices, layersFromAttentionIndices(r, *indices, numLayers));
  }
  if (fromTypes && fromIndices && *fromTypes != *fromIndices)
    return r.fieldError("full_attn_idxs", "disagrees with 'layer_types'");
  return fromTypes ? *std::move(fromTypes) : *std::move(fromIndices);
}

absl::StatusOr<ModelConfig> buildConfig(const ConfigReader &r) {
  ModelConfig config;
  LFM_RETURN_IF_ERROR(checkModelType(r));
  config.model_type = "lfm2";

  LFM_ASSIGN_OR_RETURN(Field<int64_t> vocab, r.dimension(Key{"vocab_size"}));
  LFM_ASSIGN_OR_RETURN(Field<int64_t> hidden,
                       r.dimension(Key{"hidden_size", "block_dim", Legacy::kMustAgree}));
  // Old configs spell the conv width out; it has always been the hidden size.
  LFM_RETURN_IF_ERROR(r.checkAgrees("conv_dim", hidden));
  LFM_RETURN_IF_ERROR(r.checkAgrees("conv_dim_out", hidden));
  LFM_ASSIGN_OR_RETURN(Field<int64_t> layers,
                       r.dimension(Key{"num_hidden_layers"}, std::nullopt, kMaxLayers));
  config.vocab_size = vocab.value;
  config.hidden_size = hidden.value;

  LFM_RETURN_IF_ERROR(readAttentionShape(r, hidden, config));
  LFM_ASSIGN_OR_RETURN(config.intermediate_size, readFfnWidth(r));

  LFM_ASSIGN_OR_RETURN(Field<int64_t> convKernel, r.dimension(Key{"conv_L_cache"}, 3));
  config.conv_kernel = convKernel.value;
  LFM_ASSIGN_OR_RETURN(Field<bool> convBias, r.withDefault<bool>(Key{"conv_bias"}, false));
  config.conv_bias = convBias.value;

  LFM_ASSIGN_OR_RETURN(
      Field<double> normEps,
      r.positiveNumber(Key{"norm_eps", "block_norm_eps", Legacy::kMustAgree}, 1e-5));
  config.norm_eps = normEps.value;
  LFM_ASSIGN_OR_RETURN(config.rope_theta, readRopeTheta(r));
  LFM_ASSIGN_OR_RETURN(Field<int64_t> maxPositions,
                       r.dimension(Key{"max_position_embeddings"}, 128000));
  config.max_position_embeddings = maxPositions.value;

  LFM_ASSIGN_OR_RETURN(
      Field<bool> tie,
      r.withDefault<bool>(Key{"tie_word_embeddings", "tie_embedding", Legacy::kWins}, true));
  config.tie_word_embeddings = tie.value;

  LFM_ASSIGN_OR_RETURN(config.bos_token_id, readTokenId(r, "bos_token_id", 1, vocab.value));
  LFM_ASSIGN_OR_RETURN(config.eos_token_id, readTokenId(r, "eos_token_id", 2, vocab.value));
  LFM_ASSIGN_OR_RETURN(config.pad_token_id, readTokenId(r, "pad_token_id", 0, vocab.value));
  LFM_ASSIGN_OR_RETURN(config.torch_dtype, readTorchDtype(r));
  LFM_ASSIGN_OR_RETURN(config.layer_types, readLayerLayout(r, layers.value));
  return config;
}

absl::StatusOr<std::string> readConfigFile(const fs::path &file) {
  std::error_code ec;
  uintmax_t size = fs::file_size(file, ec);
  if (ec)
    return absl::NotFoundError(absl::StrCat(file.string(), ": cannot read: ", ec.message()));
  if (size > static_cast<uintmax_t>(kMaxConfigBytes))
    return absl::InvalidArgumentError(absl::StrCat(
        file.string(), ": is ", size, " bytes; a config.json is at most ", kMaxConfigBytes));
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat(file.string(), ": cannot open the file"));
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size)
    return absl::NotFoundError(absl::StrCat(file.string(), ": cannot read the file"));
  return text;
}

} // namespace

absl::StatusOr<ModelConfig> parseLfm2Config(std::string_view jsonText,
                                            std::string_view sourceName) {
  // Debian's abseil has its own string_view type (ABSL_USES_STD_STRING_VIEW
  // is off), which StrCat needs.
  absl::string_view text(jsonText.data(), jsonText.size());
  absl::string_view source(sourceName.data(), sourceName.size());
  LFM_ASSIGN_OR_RETURN(json root, parseJson(text, source));
  if (!root.is_object())
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the top level must be a JSON object, got ", describe(root)));
  return buildConfig(ConfigReader(root, source));
}

absl::StatusOr<ModelConfig> loadLfm2Config(const std::string &path) {
  if (path.empty())
    return absl::InvalidArgumentError("no config path given");
  fs::path file(path);
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status))
    return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
  if (fs::is_directory(status)) {
    file /= "config.json";
    if (!fs::exists(file, ec))
      return absl::NotFoundError(absl::StrCat(path, ": is a directory without a config.json"));
  }
  LFM_ASSIGN_OR_RETURN(std::string text, readConfigFile(file));
  return parseLfm2Config(text, file.string());
}

} // namespace lfm::models
