// Template errors. Operations report plain messages; the interpreter adds
// the template's origin and the line:column of the expression or statement
// that failed, once (a status that already names its place keeps it).
#ifndef LFM_TEXT_JINJA_ERRORS_H
#define LFM_TEXT_JINJA_ERRORS_H

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

// This abseil's string_view is its own type: std::string_view converts
// through this.
inline absl::string_view av(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

struct SourcePos {
  int line = 1;
  int column = 1;
};

// "origin:line:column: message", marked as located.
absl::Status locatedError(absl::StatusCode code, std::string_view origin, SourcePos pos,
                          std::string_view message);
// `status` with its place added, unless it has one already.
absl::Status withLocation(const absl::Status &status, std::string_view origin, SourcePos pos);

inline absl::Status templateError(std::string_view message) {
  return absl::InvalidArgumentError(av(message));
}
// What using an undefined value reports.
absl::Status undefinedError(const Value &undefined);
// A render went past one of Limits.h's bounds.
absl::Status limitError(std::string_view message);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_ERRORS_H
