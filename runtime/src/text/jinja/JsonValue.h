// Template values from a JSON context (nlohmann::json, whose objects are
// sorted by key, or nlohmann::ordered_json, which keeps the order the JSON
// had, as Python's dicts do).
#ifndef LFM_TEXT_JINJA_JSONVALUE_H
#define LFM_TEXT_JINJA_JSONVALUE_H

#include <limits>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "text/jinja/Limits.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

template <class Json>
absl::StatusOr<Value> valueFromJson(const Json &json, int depth = 0) {
  if (depth > kMaxValueDepth)
    return absl::InvalidArgumentError(cat("context: JSON nested deeper than ", kMaxValueDepth));
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return Value::none();
    case nlohmann::json::value_t::boolean:
      return Value::boolean(json.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::integer(json.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t value = json.template get<uint64_t>();
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return absl::InvalidArgumentError(cat("context: integer ", value, " is out of range"));
      return Value::integer(static_cast<int64_t>(value));
    }
    case nlohmann::json::value_t::number_float:
      return Value::number(json.template get<double>());
    case nlohmann::json::value_t::string:
      return Value::string(json.template get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto &item : json) {
        absl::StatusOr<Value> value = valueFromJson(item, depth + 1);
        if (!value.ok()) return value.status();
        items.push_back(*std::move(value));
      }
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      DictData dict;
      for (auto it = json.begin(); it != json.end(); ++it) {
        absl::StatusOr<Value> value = valueFromJson(it.value(), depth + 1);
        if (!value.ok()) return value.status();
        if (absl::Status st = dict.set(Value::string(it.key()), *std::move(value)); !st.ok())
          return st;
      }
      return Value::dict(std::move(dict));
    }
    case nlohmann::json::value_t::binary:
      return absl::InvalidArgumentError("context: binary JSON values are not supported");
  }
  return Value::none();
}

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_JSONVALUE_H
