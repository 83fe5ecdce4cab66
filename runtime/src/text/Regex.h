// A PCRE2 regex (UTF, UCP, MULTILINE, JIT) that finds matches as HF
// tokenizers' Oniguruma find_iter does: leftmost-first, left to right, an
// empty match right after the previous match skipped by one character.
// Subjects must be valid UTF-8 (they are not checked again). Made from an
// Oniguruma pattern it holds its two forms (OnigPattern.h) and runs the
// fast one on subjects that allow it.
#ifndef LFM_TEXT_REGEX_H
#define LFM_TEXT_REGEX_H

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lfm::text {

class Regex {
 public:
  // `pattern` in PCRE2 syntax (see OnigPattern.h), or a literal string.
  // An error says why PCRE2 refuses it (no origin).
  static absl::StatusOr<std::unique_ptr<Regex>> compile(std::string_view pattern, bool literal);
  // An Oniguruma pattern (HF's Split Regex).
  static absl::StatusOr<std::unique_ptr<Regex>> compileOnig(std::string_view pattern);
  ~Regex();
  Regex(const Regex &) = delete;
  Regex &operator=(const Regex &) = delete;

  // The first match at or after `from`: (start, end), or nullopt.
  absl::StatusOr<std::optional<std::pair<size_t, size_t>>> find(std::string_view subject, size_t from) const {
    return findWith(false, subject, from);
  }
  // Whether a match starts exactly at `at`.
  absl::StatusOr<bool> matchesAt(std::string_view subject, size_t at) const;

  // Calls on_match(start, end) for every match, as Oniguruma's find_iter.
  template <typename F>
  absl::Status forEachMatch(std::string_view subject, F &&on_match) const {
    bool fast = canRunFast(subject);
    size_t last_end = 0;
    bool matched = false;
    size_t last_match_end = 0;
    while (last_end <= subject.size()) {
      auto m = findWith(fast, subject, last_end);
      if (!m.ok()) return m.status();
      if (!*m) break;
      auto [s, e] = **m;
      if (s == e && matched && last_match_end == e) {
        last_end += last_end < subject.size() ? charLength(subject[last_end]) : 1;
        continue;
      }
      last_end = e;
      last_match_end = e;
      matched = true;
      on_match(s, e);
    }
    return absl::OkStatus();
  }

 private:
  struct Code {
    void *code = nullptr;  // pcre2_code_8
    bool jit = false;
  };
  Regex() = default;
  static absl::StatusOr<Code> compileCode(std::string_view pattern, bool literal);
  static size_t charLength(char lead);
  bool canRunFast(std::string_view subject) const;
  absl::StatusOr<std::optional<std::pair<size_t, size_t>>> findWith(bool fast, std::string_view subject,
                                                                    size_t from) const;
  Code exact_, fast_;        // fast_.code null: none
  uint32_t fast_below_ = 0;  // fast_ matches as exact_ on text below this code point
};

}  // namespace lfm::text

#endif  // LFM_TEXT_REGEX_H
