#include "lfm/GenerationConfig.h"

#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "lfm/JsonNesting.h"
#include "lfm/StatusMacros.h"
#include "nlohmann/json.hpp"

namespace lfm {
namespace {

using nlohmann::json;

absl::Status fieldError(std::string_view origin, std::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(origin), ": ", std::string(field), ": ", what));
}

absl::StatusOr<int32_t> tokenId(const json &v, std::string_view origin, std::string_view field) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
      v.get<int64_t>() > std::numeric_limits<int32_t>::max())
    return fieldError(origin, field, "must be a non-negative token id");
  return static_cast<int32_t>(v.get<int64_t>());
}

template <typename T>
absl::Status number(const json &root, const char *field, std::string_view origin,
                    std::optional<T> &out) {
  auto it = root.find(field);
  if (it == root.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number()) return fieldError(origin, field, "must be a number");
  if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer()) return fieldError(origin, field, "must be an integer");
  }
  out = it->get<T>();
  return absl::OkStatus();
}

}  // namespace

SamplingOptions GenerationConfig::sampling() const {
  SamplingOptions o;
  if (do_sample.value_or(false)) {
    o.temperature = temperature.value_or(1.0f);
    o.top_k = top_k.value_or(50);  // transformers' GenerationConfig default
    o.top_p = top_p.value_or(1.0f);
    o.min_p = min_p.value_or(0.0f);
  }
  o.repetition_penalty = repetition_penalty.value_or(1.0f);
  return o;
}

absl::StatusOr<GenerationConfig> parseGenerationConfig(std::string_view json_text,
                                                       std::string_view origin) {
  LFM_RETURN_IF_ERROR(checkJsonNesting(json_text, origin));
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return fieldError(origin, "(file)", "not valid JSON");
  if (!root.is_object()) return fieldError(origin, "(file)", "not a JSON object");
  GenerationConfig c;
  if (auto it = root.find("eos_token_id"); it != root.end() && !it->is_null()) {
    if (it->is_array()) {
      for (size_t i = 0; i < it->size(); ++i) {
        LFM_ASSIGN_OR_RETURN(int32_t id,
                             tokenId((*it)[i], origin, absl::StrCat("eos_token_id[", i, "]")));
        c.eos_token_ids.push_back(id);
      }
    } else {
      LFM_ASSIGN_OR_RETURN(int32_t id, tokenId(*it, origin, "eos_token_id"));
      c.eos_token_ids.push_back(id);
    }
  }
  if (auto it = root.find("bos_token_id"); it != root.end() && !it->is_null()) {
    LFM_ASSIGN_OR_RETURN(c.bos_token_id, tokenId(*it, origin, "bos_token_id"));
  }
  if (auto it = root.find("do_sample"); it != root.end() && !it->is_null()) {
    if (!it->is_boolean()) return fieldError(origin, "do_sample", "must be true or false");
    c.do_sample = it->get<bool>();
  }
  LFM_RETURN_IF_ERROR(number(root, "temperature", origin, c.temperature));
  LFM_RETURN_IF_ERROR(number(root, "top_k", origin, c.top_k));
  LFM_RETURN_IF_ERROR(number(root, "top_p", origin, c.top_p));
  LFM_RETURN_IF_ERROR(number(root, "min_p", origin, c.min_p));
  LFM_RETURN_IF_ERROR(number(root, "repetition_penalty", origin, c.repetition_penalty));
  LFM_RETURN_IF_ERROR(number(root, "max_new_tokens", origin, c.max_new_tokens));
  if (absl::Status s = validateSamplingOptions(c.sampling()); !s.ok())
    return fieldError(origin, "(sampling defaults)", s.message());
  return c;
}

}  // namespace lfm
