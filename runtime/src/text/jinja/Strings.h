// String concatenation for messages. This abseil's string_view is not
// std::string_view, so absl::StrCat takes no std::string_view; cat() takes
// both, std::string, C strings and integers.
#ifndef LFM_TEXT_JINJA_STRINGS_H
#define LFM_TEXT_JINJA_STRINGS_H

#include <concepts>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace lfm::jinja {

inline void appendPiece(std::string &out, std::string_view text) { out.append(text); }
inline void appendPiece(std::string &out, const char *text) { out.append(text); }
inline void appendPiece(std::string &out, const std::string &text) { out.append(text); }
inline void appendPiece(std::string &out, absl::string_view text) {
  out.append(text.data(), text.size());
}
template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void appendPiece(std::string &out,
                                                                            T value) {
  out += std::to_string(value);
}

template <class... Args>
std::string cat(const Args &...args) {
  std::string out;
  (appendPiece(out, args), ...);
  return out;
}

template <class... Args>
void catTo(std::string *out, const Args &...args) {
  (appendPiece(*out, args), ...);
}

inline std::string_view sv(absl::string_view text) {
  return std::string_view(text.data(), text.size());
}

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_STRINGS_H
