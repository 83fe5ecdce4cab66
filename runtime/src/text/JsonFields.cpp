#include "text/JsonFields.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "lfm/JsonNesting.h"
#include "lfm/StatusMacros.h"
#include "text/AbslView.h"

namespace lfm::text {

absl::StatusOr<Json> parseJson(std::string_view text, std::string_view origin) {
  LFM_RETURN_IF_ERROR(checkJsonNesting(text, origin));
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception &e) {
    return absl::InvalidArgumentError(absl::StrCat(av(origin), ": not valid JSON: ", e.what()));
  }
}

std::string jsonTypeName(const Json &value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a number";
    default:
      return "something else";
  }
}

std::string joinPath(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(av(path), ".", av(key));
}

std::string indexPath(std::string_view path, size_t index) { return absl::StrCat(av(path), "[", index, "]"); }

absl::Status JsonFields::invalid(std::string_view path, std::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(origin_, ": ", av(path), ": ", av(what)));
}

absl::Status JsonFields::unsupported(std::string_view path, std::string_view value) const {
  return absl::InvalidArgumentError(
      absl::StrCat(origin_, ": ", av(path), " '", av(value), "' is not supported"));
}

absl::Status JsonFields::wrongType(std::string_view path, std::string_view expected,
                                   const Json &value) const {
  return invalid(path, absl::StrCat("expected ", av(expected), ", got ", jsonTypeName(value)));
}

absl::Status JsonFields::object(const Json &value, std::string_view path) const {
  return value.is_object() ? absl::OkStatus() : wrongType(path, "an object", value);
}

absl::Status JsonFields::array(const Json &value, std::string_view path) const {
  return value.is_array() ? absl::OkStatus() : wrongType(path, "an array", value);
}

const Json *JsonFields::find(const Json &obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

absl::StatusOr<std::string> JsonFields::string(const Json &obj, std::string_view key,
                                               std::string_view path) const {
  const Json *v = find(obj, key);
  if (!v) return invalid(joinPath(path, key), "missing");
  if (!v->is_string()) return wrongType(joinPath(path, key), "a string", *v);
  return v->get<std::string>();
}

absl::StatusOr<std::optional<std::string>> JsonFields::optString(const Json &obj, std::string_view key,
                                                                 std::string_view path) const {
  const Json *v = find(obj, key);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return wrongType(joinPath(path, key), "a string or null", *v);
  return std::optional<std::string>(v->get<std::string>());
}

absl::StatusOr<bool> JsonFields::boolean(const Json &obj, std::string_view key, std::string_view path) const {
  const Json *v = find(obj, key);
  if (!v) return invalid(joinPath(path, key), "missing");
  if (!v->is_boolean()) return wrongType(joinPath(path, key), "a boolean", *v);
  return v->get<bool>();
}

absl::StatusOr<bool> JsonFields::optBoolean(const Json &obj, std::string_view key, std::string_view path,
                                            bool fallback) const {
  const Json *v = find(obj, key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_boolean()) return wrongType(joinPath(path, key), "a boolean", *v);
  return v->get<bool>();
}

absl::StatusOr<int32_t> JsonFields::id(const Json &value, std::string_view path) const {
  if (value.is_number_unsigned()) {
    auto u = value.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) return static_cast<int32_t>(u);
  } else if (value.is_number_integer()) {
    auto i = value.get<int64_t>();
    if (i >= 0 && i <= std::numeric_limits<int32_t>::max()) return static_cast<int32_t>(i);
  } else {
    return wrongType(path, "a token id", value);
  }
  return invalid(path, absl::StrCat("token id ", value.dump(), " is out of range [0, 2^31)"));
}

}  // namespace lfm::text
