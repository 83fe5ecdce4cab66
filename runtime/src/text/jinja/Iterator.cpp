#include "text/jinja/Iterator.h"

#include <memory>

#include "text/jinja/Strings.h"

namespace lfm::jinja {

std::string IteratorObject::repr() const {
  if (type_name_ == "generator") return cat("<generator object ", function_, ">");
  return cat("<", type_name_, " object>");
}

absl::StatusOr<std::vector<Value>> IteratorObject::take() const {
  if (!error_.ok()) {
    absl::Status error = error_;
    error_ = absl::OkStatus();
    return error;
  }
  std::vector<Value> items;
  items.swap(items_);
  return items;
}

Value makeGenerator(std::string function, std::vector<Value> items) {
  return Value::object(
      std::make_shared<IteratorObject>("generator", std::move(function), std::move(items)));
}

Value makeFailedGenerator(std::string function, absl::Status error) {
  auto generator =
      std::make_shared<IteratorObject>("generator", std::move(function), std::vector<Value>());
  generator->setError(std::move(error));
  return Value::object(std::move(generator));
}

const IteratorObject *asIterator(const Value &value) {
  return value.isObject() ? dynamic_cast<const IteratorObject *>(value.object()) : nullptr;
}

}  // namespace lfm::jinja
