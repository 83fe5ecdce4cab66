// Python's str() and repr() of template values, which is what jinja2
// prints: None as "None", True as "True", floats as repr() writes them
// (1.0, 1e-05, 1e+16), lists and dicts as ['a', 1] and {'k': None}.
#ifndef LFM_TEXT_JINJA_PYREPR_H
#define LFM_TEXT_JINJA_PYREPR_H

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

// repr(float): the shortest digits that read back to the same double.
std::string floatRepr(double value);
// repr(str): quoted with ' (or " when only that avoids escaping), with
// escapes for backslash, the quote, control and unprintable characters.
void appendStringRepr(std::string &out, std::string_view text);

absl::StatusOr<std::string> pyRepr(const Value &value);
// str(): a string as it is, Undefined as "", anything else as repr().
absl::StatusOr<std::string> pyStr(const Value &value);
absl::Status appendStr(std::string &out, const Value &value);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_PYREPR_H
