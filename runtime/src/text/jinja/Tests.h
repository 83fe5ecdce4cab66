// jinja2's tests (`x is defined`, `x is not string`, `n is divisibleby 3`,
// ...), with Python's type rules: bool is a number, a dict is a sequence,
// Undefined is iterable.
#ifndef LFM_TEXT_JINJA_TESTS_H
#define LFM_TEXT_JINJA_TESTS_H

#include <string_view>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

bool hasTest(std::string_view name);
absl::StatusOr<bool> applyTest(Interpreter &interpreter, std::string_view name,
                               const Value &subject, CallArgs &args);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_TESTS_H
