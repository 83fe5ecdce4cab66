// A Hugging Face `tokenizers` tokenizer (tokenizer.json), byte-exact with
// transformers' AutoTokenizer over the same tokenizer.json and
// tokenizer_config.json: byte-level BPE (LFM2, GPT-2 and Llama-3 style),
// added tokens, the Split and ByteLevel pre-tokenizers (regexes run by PCRE2
// with the JIT, translated to match HF's Oniguruma), TemplateProcessing.
//
//   auto tok = Tokenizer::create(files.tokenizer_json, files.tokenizer_config_json, dir);
//   auto ids = (*tok)->encode("Hello");          // [BOS, ...] as tokenizer("Hello")
//   auto text = (*tok)->decode(*ids, /*skip_special_tokens=*/true);
//
// Whatever a file asks for that is not supported (another model type, an
// unknown pre-tokenizer or normalizer, ...) is an InvalidArgument error
// naming `origin` and the JSON field, never a crash. encode() and decode()
// may be called from several threads at once.
#ifndef LFM_TOKENIZER_H
#define LFM_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lfm {

class Tokenizer {
 public:
  // tokenizer_json: contents of tokenizer.json; tokenizer_config_json: contents of
  // tokenizer_config.json or empty; origin: a path or name used in error messages
  // ("<origin>: model.type 'WordPiece' is not supported").
  static absl::StatusOr<std::unique_ptr<Tokenizer>> create(std::string_view tokenizer_json,
                                                           std::string_view tokenizer_config_json,
                                                           std::string_view origin);
  ~Tokenizer();

  // As AutoTokenizer.from_pretrained(dir)(text)["input_ids"] (transformers
  // 5): add_special_tokens adds what tokenizer.json's post-processor adds
  // (BOS for LFM2). transformers drops add_bos_token / add_eos_token from
  // tokenizer_config.json when there is a tokenizer.json, and so does this.
  // The config's special tokens that the tokenizer lacks are added, as
  // transformers adds them. Text that is not valid UTF-8 is an error.
  absl::StatusOr<std::vector<int32_t>> encode(std::string_view text, bool add_special_tokens = true) const;
  // As tokenizer.decode(ids, skip_special_tokens=...): an id that is no
  // token is an error; invalid UTF-8 becomes U+FFFD as Rust's
  // String::from_utf8_lossy makes it.
  absl::StatusOr<std::string> decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  int64_t vocabSize() const;  // 1 + the largest id (vocab and added tokens)
  // A vocab or added token, by its content (added tokens first, as HF).
  std::optional<int32_t> tokenId(std::string_view token) const;
  bool isSpecial(int32_t id) const;  // false for an id that is no token
  // The bytes one token decodes to (ByteLevel undone; an added token whose
  // content is not in the byte-level alphabet: its content).
  absl::StatusOr<std::string> tokenBytes(int32_t id) const;

  // From tokenizer_config.json (empty / nullopt when absent): bos_token and
  // eos_token (a string or {"content": ...}); chat_template (a string, or the
  // one named "default" of a list of {name, template}).
  const std::string &bosToken() const;
  const std::string &eosToken() const;
  std::optional<int32_t> bosId() const;
  std::optional<int32_t> eosId() const;
  const std::string &chatTemplate() const;

  struct Impl;  // runtime/src/text/TokenizerImpl.h

 private:
  friend class StreamingDetokenizer;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Streams text as ids arrive: holds back an incomplete UTF-8 sequence at the
// end and emits text as soon as it is complete; concatenating every push()
// and the final flush() equals decode(all ids, skip_special_tokens).
class StreamingDetokenizer {
 public:
  // `tokenizer` must outlive this.
  StreamingDetokenizer(const Tokenizer &tokenizer, bool skip_special_tokens);

  // The text that `id` completes (often empty). An id that is no token is an
  // error and changes nothing.
  absl::StatusOr<std::string> push(int32_t id);
  // What is held back (an incomplete sequence becomes U+FFFD); starts over.
  std::string flush();

 private:
  const Tokenizer &tokenizer_;
  bool skip_special_tokens_;
  bool any_token_ = false;  // for decoders that join tokens with spaces
  std::string pending_;
};

}  // namespace lfm

#endif  // LFM_TOKENIZER_H
