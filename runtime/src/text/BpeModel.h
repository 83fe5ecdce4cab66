// HF tokenizers' BPE model over the byte-level alphabet: a word (raw bytes)
// becomes the ids of its bytes' symbols, merged lowest rank first (HF's
// Word::merge_all, its priority queue and its stale-entry rule exactly);
// with ignore_merges a word that is itself in the vocab is one token.
// Results are cached per word (bounded; thread-safe).
#ifndef LFM_TEXT_BPEMODEL_H
#define LFM_TEXT_BPEMODEL_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "text/FrozenTables.h"
#include "text/JsonFields.h"
#include "text/WordCache.h"

namespace lfm::text {

class BpeModel {
 public:
  // `json`: tokenizer.json's model.
  static absl::StatusOr<std::unique_ptr<BpeModel>> create(const Json &json, const JsonFields &fields);

  // Appends the ids of `word` (raw bytes, not empty) to `out`.
  absl::Status tokenize(std::string_view word, std::vector<int32_t> &out) const;

  // The vocab, by token string (byte-level form) and by id.
  std::optional<int32_t> tokenId(std::string_view token) const;
  const std::unordered_map<int32_t, std::string> &idToToken() const { return id_to_token_; }
  size_t size() const { return id_to_token_.size(); }  // HF's get_vocab_size: the vocab's entries

 private:
  struct Merge {
    uint32_t rank;
    int32_t new_id;
  };
  static uint64_t pairKey(int32_t a, int32_t b) {
    return (uint64_t{static_cast<uint32_t>(a)} << 32) | static_cast<uint32_t>(b);
  }
  absl::Status mergeWord(std::string_view word, std::vector<int32_t> &out) const;

  FrozenStringMap vocab_;        // byte-level strings
  FrozenStringMap vocab_bytes_;  // the same, as raw bytes
  std::unordered_map<int32_t, std::string> id_to_token_;
  FrozenU64Map<Merge> merges_;
  std::array<int32_t, 256> byte_ids_{};  // the symbol of each byte, -1: none
  std::optional<std::string> unk_token_;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;

  WordCache cache_;
};

}  // namespace lfm::text

#endif  // LFM_TEXT_BPEMODEL_H
