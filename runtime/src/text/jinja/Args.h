// Binds a call's positional and keyword arguments to a builtin's
// parameters, as Python does: too many, unknown or missing ones are errors
// that name the function.
#ifndef LFM_TEXT_JINJA_ARGS_H
#define LFM_TEXT_JINJA_ARGS_H

#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

struct Param {
  std::string_view name;
  std::optional<Value> default_value;  // none: required
};

// One value per parameter, in order.
absl::StatusOr<std::vector<Value>> bindArgs(std::string_view function, const CallArgs &args,
                                            std::initializer_list<Param> params);

// Argument checks that builtins share.
absl::StatusOr<int64_t> intArg(std::string_view function, std::string_view name,
                               const Value &value);
absl::StatusOr<std::string> stringArg(std::string_view function, std::string_view name,
                                      const Value &value);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_ARGS_H
