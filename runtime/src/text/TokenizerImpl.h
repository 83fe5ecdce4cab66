// The parts of a Tokenizer (lfm/Tokenizer.h), built by Tokenizer::create.
#ifndef LFM_TEXT_TOKENIZERIMPL_H
#define LFM_TEXT_TOKENIZERIMPL_H

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lfm/Tokenizer.h"
#include "text/AddedVocabulary.h"
#include "text/BpeModel.h"
#include "text/PreTokenizer.h"

namespace lfm {

struct Tokenizer::Impl {
  struct TokenInfo {
    std::string bytes;  // what the decoder makes of it alone
    bool exists = false;
    bool special = false;
  };

  std::unique_ptr<text::BpeModel> model;
  text::AddedVocabulary added;
  std::optional<text::PreTokenizer> pre_tokenizer;
  std::vector<int32_t> prefix, suffix;  // added with special tokens
  bool byte_level_decoder = true;       // false: no decoder (tokens joined by spaces)
  std::vector<TokenInfo> tokens;        // by id
  std::string bos_token, eos_token, chat_template;
  std::optional<int32_t> bos_id, eos_id;

  const TokenInfo *token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens.size() || !tokens[id].exists) return nullptr;
    return &tokens[id];
  }
  absl::Status invalidId(int32_t id) const;
};

}  // namespace lfm

#endif  // LFM_TEXT_TOKENIZERIMPL_H
