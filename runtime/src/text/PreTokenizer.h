// The pre-tokenizer of a byte-level BPE tokenizer.json: Split stages (a
// regex or a string, any behavior, inverted or not), then ByteLevel (with
// add_prefix_space, and GPT-2's regex when use_regex). Each piece of text is
// cut as HF's PreTokenizedString cuts it; the words come out as raw bytes
// (the byte-level mapping is the model's business).
#ifndef LFM_TEXT_PRETOKENIZER_H
#define LFM_TEXT_PRETOKENIZER_H

#include <memory>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "text/JsonFields.h"
#include "text/Regex.h"

namespace lfm::text {

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

class PreTokenizer {
 public:
  // `json`: tokenizer.json's pre_tokenizer (nullptr when absent).
  static absl::StatusOr<PreTokenizer> create(const Json *json, const JsonFields &fields);

  // Calls on_word for each word of `text` (valid UTF-8, not empty), in order.
  absl::Status run(std::string_view text, absl::FunctionRef<absl::Status(std::string_view)> on_word) const;

 private:
  struct Split {
    std::shared_ptr<const Regex> regex;
    SplitBehavior behavior = SplitBehavior::kIsolated;
    bool invert = false;
  };

  absl::Status parse(const Json &json, const std::string &path, const JsonFields &fields,
                     bool *byte_level_seen);
  absl::Status runFrom(size_t stage, std::string_view piece,
                       absl::FunctionRef<absl::Status(std::string_view)> on_word) const;
  absl::Status byteLevel(std::string_view piece,
                         absl::FunctionRef<absl::Status(std::string_view)> on_word) const;

  std::vector<Split> splits_;
  bool add_prefix_space_ = false;
  std::shared_ptr<const Regex> byte_level_regex_;  // null: use_regex false
};

// Cuts `piece` as HF's NormalizedString::split(pattern, behavior) does and
// calls on_piece for each non-empty part.
absl::Status splitPiece(const Regex &regex, SplitBehavior behavior, bool invert, std::string_view piece,
                        absl::FunctionRef<absl::Status(std::string_view)> on_piece);

}  // namespace lfm::text

#endif  // LFM_TEXT_PRETOKENIZER_H
