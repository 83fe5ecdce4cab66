// What transformers reads from tokenizer_config.json that changes how
// AutoTokenizer.from_pretrained encodes: the named special tokens (added as
// special tokens when the tokenizer lacks them), added_tokens_decoder,
// split_special_tokens; and the chat template. (add_bos_token and
// add_eos_token it drops when there is a tokenizer.json: the post-processor
// decides.)
#ifndef LFM_TEXT_TOKENIZERCONFIG_H
#define LFM_TEXT_TOKENIZERCONFIG_H

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "text/AddedVocabulary.h"
#include "text/JsonFields.h"

namespace lfm::text {

struct ConfigToken {
  AddedToken token;
  bool from_object = false;  // {"content": ...}: its flags are given
};

struct TokenizerConfig {
  // bos, eos, unk, sep, pad, cls, mask, then other "*_token" keys, in order.
  std::vector<std::pair<std::string, ConfigToken>> named;
  std::vector<ConfigToken> extra;                            // extra_special_tokens
  std::vector<std::pair<int64_t, AddedToken>> added_tokens;  // added_tokens_decoder, by id
  bool split_special_tokens = false;
  std::string chat_template;

  const ConfigToken *find(std::string_view name) const;
};

// An empty text is an empty config. Errors name `fields.origin()`.
absl::StatusOr<TokenizerConfig> parseTokenizerConfig(std::string_view text, const JsonFields &fields);

}  // namespace lfm::text

#endif  // LFM_TEXT_TOKENIZERCONFIG_H
