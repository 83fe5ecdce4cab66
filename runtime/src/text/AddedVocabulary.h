// HF tokenizers' AddedVocabulary: tokens added on top of the model's vocab
// (special or not), found in the raw text before pre-tokenization by a
// leftmost-longest match (non-normalized tokens first, then normalized ones
// in the text between), with their single_word, lstrip and rstrip rules.
// Ids are given as HF gives them: the vocab's id for a content the model
// knows, else the next id after the vocab (the ids in tokenizer.json are not
// read, as HF does not read them).
#ifndef LFM_TEXT_ADDEDVOCABULARY_H
#define LFM_TEXT_ADDEDVOCABULARY_H

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "text/FrozenTables.h"

namespace lfm::text {

struct AddedToken {
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
  bool operator==(const AddedToken &) const = default;
};

class AddedVocabulary {
 public:
  // As HF's add_tokens (one call per batch: the ids of new contents follow
  // on from the largest so far, or from the model's size).
  void addTokens(std::span<const AddedToken> tokens,
                 absl::FunctionRef<std::optional<int32_t>(std::string_view)> model_token_to_id,
                 size_t model_vocab_size);
  // Split special tokens as text (transformers' split_special_tokens).
  void setEncodeSpecialTokens(bool value) { encode_special_tokens_ = value; }

  std::optional<int32_t> tokenId(std::string_view content) const;
  const AddedToken *token(int32_t id) const;
  bool isSpecialContent(std::string_view content) const { return special_.contains(content); }
  const std::map<int32_t, AddedToken> &tokens() const { return by_id_; }

  // Cuts `text` (valid UTF-8): on_token for each added token, on_text for
  // the text between (not empty), in order.
  absl::Status split(std::string_view text, absl::FunctionRef<void(int32_t)> on_token,
                     absl::FunctionRef<absl::Status(std::string_view)> on_text) const;

 private:
  // A byte trie of the tokens' contents.
  struct Trie {
    std::vector<int32_t> terminal;                 // per node: token id or -1
    std::unordered_map<uint64_t, uint32_t> edges;  // (node << 8 | byte) -> node
    bool first_byte[256] = {};
    bool empty() const { return terminal.size() <= 1; }
    void insert(std::string_view s, int32_t id);
    // The longest token at s[i]: (end, id), or end 0.
    std::pair<size_t, int32_t> longestAt(std::string_view s, size_t i) const;
  };

  void rebuild();
  absl::Status splitWith(const Trie &trie, std::string_view text, absl::FunctionRef<void(int32_t)> on_token,
                         absl::FunctionRef<absl::Status(std::string_view)> on_text) const;

  std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>> by_content_;
  std::map<int32_t, AddedToken> by_id_;
  std::unordered_set<std::string, StringViewHash, std::equal_to<>> special_;
  Trie plain_, normalized_;
  bool encode_special_tokens_ = false;
};

}  // namespace lfm::text

#endif  // LFM_TEXT_ADDEDVOCABULARY_H
