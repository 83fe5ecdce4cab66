// HF tokenizers runs its regexes with Oniguruma (Ruby syntax) and a newer
// Unicode than PCRE2 may have; this rewrites such a pattern for PCRE2 (UTF,
// UCP, MULTILINE: Ruby's ^ and $ are line anchors) so that it matches the
// same. The Unicode classes (\p{L}, \s, \d, \w, ...) become PCRE2's class
// plus the code points it lacks (RegexClassTables.inc, made from HF's own
// engine by scripts/text/make_tokenizer_goldens.py --regex-tables); \h is
// a hex digit; (?m) is (?s); \uHHHH is \x{HHHH}.
//
// Not exact (rare in tokenizers): scripts (\p{Han}) and POSIX classes
// ([[:alpha:]] is Alphabetic in Oniguruma, \p{L} in PCRE2) keep PCRE2's
// tables; a complemented class inside brackets ([\P{L}x], [\W]) misses the
// code points new since PCRE2's Unicode; \b and \B use PCRE2's word
// characters; \p{Mn} still holds U+1171E. Nested classes and && are errors.
#ifndef LFM_TEXT_ONIGPATTERN_H
#define LFM_TEXT_ONIGPATTERN_H

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lfm::text {

// The PCRE2 forms of an Oniguruma pattern: `exact` matches as Oniguruma
// does; `fast` keeps PCRE2's own Unicode classes (about twice as fast) and
// matches the same on text whose code points are all below `fast_below`.
struct Pcre2Pattern {
  std::string exact, fast;
  uint32_t fast_below = 0x110000;
};

// An error says what is not supported (no origin).
absl::StatusOr<Pcre2Pattern> onigToPcre2(std::string_view pattern);

// The PCRE2 class body of Oniguruma's class named `key` ("L", "N", "s",
// "w", ...), for use inside brackets; empty when unknown.
std::string onigClassBody(std::string_view key);

}  // namespace lfm::text

#endif  // LFM_TEXT_ONIGPATTERN_H
