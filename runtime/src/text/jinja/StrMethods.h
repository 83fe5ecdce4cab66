// The str methods templates call ('a b'.split(), s.strip('x'), ...).
#ifndef LFM_TEXT_JINJA_STRMETHODS_H
#define LFM_TEXT_JINJA_STRMETHODS_H

#include <string_view>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

// Whether str has a method of this name that templates may call.
bool isStrMethod(std::string_view name);
// self.name(*args) for a str self.
absl::StatusOr<Value> callStrMethod(std::string_view name, const Value &self, const CallArgs &args);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_STRMETHODS_H
