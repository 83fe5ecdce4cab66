// The nesting bound of JSON read from outside (request bodies, config.json,
// tokenizer files, safetensors headers and indexes). nlohmann-json parses
// and destroys iteratively, but copying, comparing and dumping a value
// recurse once per level, and so do the readers that walk nested sections:
// a 100k-deep "[[[[..." parses, then overflows the stack when copied. Every
// reader of outside JSON checks its text with checkJsonNesting() first.
// Header-only: models/ (config.json) uses it without linking the runtime.
#ifndef LFM_JSONNESTING_H
#define LFM_JSONNESTING_H

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace lfm {

// Real files and requests nest a handful of levels (tool schemas a dozen).
inline constexpr int kMaxJsonNesting = 128;

// The offset of the first '[' or '{' that opens level max_depth + 1 of
// `text` (brackets inside strings do not count), or npos when `text` nests
// at most max_depth deep. A linear scan that neither recurses nor allocates;
// whether `text` is valid JSON is the parser's business.
inline size_t jsonNestingExceeded(std::string_view text, int max_depth = kMaxJsonNesting) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character, a quote included
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

// OK, or InvalidArgument "<origin>: JSON nested deeper than N levels (at
// byte P)".
inline absl::Status checkJsonNesting(std::string_view text, std::string_view origin,
                                     int max_depth = kMaxJsonNesting) {
  const size_t at = jsonNestingExceeded(text, max_depth);
  if (at == std::string_view::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(absl::string_view(origin.data(), origin.size()),
                                                 ": JSON nested deeper than ", max_depth,
                                                 " levels (at byte ", at, ")"));
}

}  // namespace lfm

#endif  // LFM_JSONNESTING_H
