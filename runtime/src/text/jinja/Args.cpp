#include "text/jinja/Args.h"

#include "text/jinja/Errors.h"
#include "text/jinja/Strings.h"

namespace lfm::jinja {

absl::StatusOr<std::vector<Value>> bindArgs(std::string_view function, const CallArgs &args,
                                            std::initializer_list<Param> params) {
  if (args.positional.size() > params.size())
    return absl::InvalidArgumentError(cat(function, "() takes at most ", params.size(),
                                          " arguments (", args.positional.size(), " given)"));
  std::vector<std::optional<Value>> bound(params.size());
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = args.positional[i];
  for (const auto &[key, value] : args.keyword) {
    size_t index = 0;
    for (const Param &param : params) {
      if (param.name == key) break;
      ++index;
    }
    if (index == params.size())
      return absl::InvalidArgumentError(
          cat(function, "() got an unexpected keyword argument '", key, "'"));
    if (bound[index])
      return absl::InvalidArgumentError(
          cat(function, "() got multiple values for argument '", key, "'"));
    bound[index] = value;
  }
  std::vector<Value> values;
  values.reserve(params.size());
  size_t index = 0;
  for (const Param &param : params) {
    if (bound[index]) {
      values.push_back(*bound[index]);
    } else if (param.default_value) {
      values.push_back(*param.default_value);
    } else {
      return absl::InvalidArgumentError(
          cat(function, "() missing required argument '", param.name, "'"));
    }
    ++index;
  }
  return values;
}

absl::StatusOr<int64_t> intArg(std::string_view function, std::string_view name,
                               const Value &value) {
  if (value.isIntegral()) return value.asInt();
  if (value.isUndefined()) return undefinedError(value);
  return absl::InvalidArgumentError(
      cat(function, "(): argument '", name, "' must be an integer, not ", value.typeName()));
}

absl::StatusOr<std::string> stringArg(std::string_view function, std::string_view name,
                                      const Value &value) {
  if (value.isString()) return value.str();
  if (value.isUndefined()) return undefinedError(value);
  return absl::InvalidArgumentError(
      cat(function, "(): argument '", name, "' must be str, not ", value.typeName()));
}

}  // namespace lfm::jinja
