// Python's string formatting: `"%s: %d" % args` (the `format` filter uses
// it too) and str.format() with positional and named fields, attribute and
// index lookups, !r/!s conversions and the common format specs
// ([[fill]align][sign][#][0][width][,|_][.precision][type]).
#ifndef LFM_TEXT_JINJA_STRFORMAT_H
#define LFM_TEXT_JINJA_STRFORMAT_H

#include <string>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

// `args` is a tuple (positional values), a dict (for %(name)s), or one
// value.
absl::StatusOr<Value> percentFormat(const std::string &format, const Value &args);
absl::StatusOr<Value> strFormat(const std::string &format, const CallArgs &args);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_STRFORMAT_H
