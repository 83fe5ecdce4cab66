#include "text/jinja/Namespace.h"

#include "text/jinja/Strings.h"

namespace lfm::jinja {

Value Namespace::getAttr(std::string_view name) const {
  if (const Value *value = attrs_.find(name)) return *value;
  return Value::undefined(cat("'Namespace object' has no attribute '", name, "'"));
}

absl::Status Namespace::setAttr(const std::string &name, Value value) {
  if (!name.empty() && name[0] == '_')
    return absl::InvalidArgumentError(
        cat("chat templates cannot store underscore-prefixed attributes on a namespace, but got '",
            name, "'"));
  return attrs_.set(Value::string(name), std::move(value));
}

}  // namespace lfm::jinja
