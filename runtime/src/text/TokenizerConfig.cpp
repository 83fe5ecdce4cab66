#include "text/TokenizerConfig.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::text {
namespace {

constexpr const char *kNamed[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                  "pad_token", "cls_token", "mask_token"};

// Python's AddedToken(**d): special defaults to false, normalized to !special.
absl::StatusOr<AddedToken> tokenFromObject(const Json &obj, const std::string &path,
                                           const JsonFields &fields) {
  AddedToken t;
  LFM_ASSIGN_OR_RETURN(t.content, fields.string(obj, "content", path));
  LFM_ASSIGN_OR_RETURN(t.special, fields.optBoolean(obj, "special", path, false));
  LFM_ASSIGN_OR_RETURN(t.normalized, fields.optBoolean(obj, "normalized", path, !t.special));
  LFM_ASSIGN_OR_RETURN(t.lstrip, fields.optBoolean(obj, "lstrip", path, false));
  LFM_ASSIGN_OR_RETURN(t.rstrip, fields.optBoolean(obj, "rstrip", path, false));
  LFM_ASSIGN_OR_RETURN(t.single_word, fields.optBoolean(obj, "single_word", path, false));
  return t;
}

// A special token's value: a string (a special, non-normalized token) or
// an AddedToken object. nullopt: null.
absl::StatusOr<std::optional<ConfigToken>> configToken(const Json &v, const std::string &path,
                                                       const JsonFields &fields) {
  if (v.is_null()) return std::optional<ConfigToken>();
  if (v.is_string()) {
    ConfigToken t;
    t.token.content = v.get<std::string>();
    t.token.special = true;
    t.token.normalized = false;
    return std::optional<ConfigToken>(std::move(t));
  }
  if (v.is_object()) {
    LFM_ASSIGN_OR_RETURN(AddedToken token, tokenFromObject(v, path, fields));
    return std::optional<ConfigToken>(ConfigToken{std::move(token), true});
  }
  return fields.wrongType(path, "a string, an object with 'content', or null", v);
}

}  // namespace

const ConfigToken *TokenizerConfig::find(std::string_view name) const {
  for (const auto &[n, t] : named)
    if (n == name) return &t;
  return nullptr;
}

absl::StatusOr<TokenizerConfig> parseTokenizerConfig(std::string_view text, const JsonFields &fields) {
  TokenizerConfig config;
  if (text.empty()) return config;
  LFM_ASSIGN_OR_RETURN(Json json, parseJson(text, fields.origin()));
  LFM_RETURN_IF_ERROR(fields.object(json, "tokenizer_config"));

  for (const char *key : kNamed) {
    const Json *v = JsonFields::find(json, key);
    if (!v) continue;
    LFM_ASSIGN_OR_RETURN(std::optional<ConfigToken> t, configToken(*v, key, fields));
    if (t) config.named.emplace_back(key, std::move(*t));
  }
  // Other "*_token" keys with a string value are model-specific special
  // tokens (transformers 5), after the named ones.
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string &key = it.key();
    if (!absl::EndsWith(key, "_token") || !it.value().is_string()) continue;
    if (std::find(std::begin(kNamed), std::end(kNamed), key) != std::end(kNamed)) continue;
    LFM_ASSIGN_OR_RETURN(std::optional<ConfigToken> t, configToken(it.value(), key, fields));
    config.named.emplace_back(key, std::move(*t));
  }
  const char *extra_key =
      JsonFields::find(json, "extra_special_tokens") ? "extra_special_tokens" : "additional_special_tokens";
  if (const Json *extra = JsonFields::find(json, extra_key); extra && !extra->is_null()) {
    if (extra->is_object()) {
      for (auto it = extra->begin(); it != extra->end(); ++it) {
        LFM_ASSIGN_OR_RETURN(std::optional<ConfigToken> t,
                             configToken(it.value(), joinPath(extra_key, it.key()), fields));
        if (t) config.named.emplace_back(it.key(), std::move(*t));
      }
    } else {
      LFM_RETURN_IF_ERROR(fields.array(*extra, extra_key));
      for (size_t i = 0; i < extra->size(); ++i) {
        LFM_ASSIGN_OR_RETURN(std::optional<ConfigToken> t,
                             configToken((*extra)[i], indexPath(extra_key, i), fields));
        if (t) config.extra.push_back(std::move(*t));
      }
    }
  }
  if (const Json *decoder = JsonFields::find(json, "added_tokens_decoder"); decoder && !decoder->is_null()) {
    LFM_RETURN_IF_ERROR(fields.object(*decoder, "added_tokens_decoder"));
    for (auto it = decoder->begin(); it != decoder->end(); ++it) {
      std::string path = absl::StrCat("added_tokens_decoder['", it.key(), "']");
      int64_t id = 0;
      if (!absl::SimpleAtoi(it.key(), &id) || id < 0)
        return fields.invalid(path, "the key is not a token id");
      LFM_RETURN_IF_ERROR(fields.object(it.value(), path));
      LFM_ASSIGN_OR_RETURN(AddedToken t, tokenFromObject(it.value(), path, fields));
      config.added_tokens.emplace_back(id, std::move(t));
    }
    std::stable_sort(config.added_tokens.begin(), config.added_tokens.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
  }
  LFM_ASSIGN_OR_RETURN(config.split_special_tokens,
                       fields.optBoolean(json, "split_special_tokens", "", false));
  if (const Json *t = JsonFields::find(json, "chat_template"); t && !t->is_null()) {
    if (t->is_string()) {
      config.chat_template = t->get<std::string>();
    } else if (t->is_array()) {
      for (size_t i = 0; i < t->size(); ++i) {
        std::string path = indexPath("chat_template", i);
        LFM_RETURN_IF_ERROR(fields.object((*t)[i], path));
        LFM_ASSIGN_OR_RETURN(std::string name, fields.string((*t)[i], "name", path));
        LFM_ASSIGN_OR_RETURN(std::string tmpl, fields.string((*t)[i], "template", path));
        if (name == "default") config.chat_template = std::move(tmpl);
      }
    } else {
      return fields.wrongType("chat_template", "a string or a list of {name, template}", *t);
    }
  }
  return config;
}

}  // namespace lfm::text
