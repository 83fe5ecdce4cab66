#include "text/TokenizerImpl.h"
#include "text/Utf8.h"

namespace lfm {

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer &tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_tokens_(skip_special_tokens) {}

absl::StatusOr<std::string> StreamingDetokenizer::push(int32_t id) {
  const Tokenizer::Impl &impl = *tokenizer_.impl_;
  const Tokenizer::Impl::TokenInfo *t = impl.token(id);
  if (!t) return impl.invalidId(id);
  if (skip_special_tokens_ && t->special) return std::string();
  if (!impl.byte_level_decoder) {
    // No decoder: tokens are joined by spaces, and each is whole UTF-8.
    std::string out = any_token_ ? " " + t->bytes : t->bytes;
    any_token_ = true;
    return out;
  }
  pending_ += t->bytes;
  size_t ready = pending_.size() - text::incompleteUtf8Tail(pending_);
  std::string out = text::utf8Lossy(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return out;
}

std::string StreamingDetokenizer::flush() {
  std::string out = text::utf8Lossy(pending_);
  pending_.clear();
  any_token_ = false;
  return out;
}

}  // namespace lfm
