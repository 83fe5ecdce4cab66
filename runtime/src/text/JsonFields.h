// Typed access to the fields of tokenizer.json / tokenizer_config.json with
// errors that name the file and the field's path:
//   "<origin>: model.merges[3]: expected a string or a pair of strings, got a number"
//   "<origin>: model.type 'WordPiece' is not supported"
#ifndef LFM_TEXT_JSONFIELDS_H
#define LFM_TEXT_JSONFIELDS_H

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace lfm::text {

using Json = nlohmann::json;

// Parses `text` as JSON; an error names `origin` and where the text breaks.
absl::StatusOr<Json> parseJson(std::string_view text, std::string_view origin);

class JsonFields {
 public:
  explicit JsonFields(std::string origin) : origin_(std::move(origin)) {}
  const std::string &origin() const { return origin_; }

  absl::Status invalid(std::string_view path, std::string_view what) const;
  absl::Status unsupported(std::string_view path, std::string_view value) const;
  absl::Status wrongType(std::string_view path, std::string_view expected, const Json &value) const;

  // `value` must be an object / an array.
  absl::Status object(const Json &value, std::string_view path) const;
  absl::Status array(const Json &value, std::string_view path) const;

  // A member of `obj` (an object): nullptr when absent.
  static const Json *find(const Json &obj, std::string_view key);

  // Members of `obj` at `path`.`key`: required, or optional (absent or null).
  absl::StatusOr<std::string> string(const Json &obj, std::string_view key, std::string_view path) const;
  absl::StatusOr<std::optional<std::string>> optString(const Json &obj, std::string_view key,
                                                       std::string_view path) const;
  absl::StatusOr<bool> boolean(const Json &obj, std::string_view key, std::string_view path) const;
  // Absent or null: `fallback`.
  absl::StatusOr<bool> optBoolean(const Json &obj, std::string_view key, std::string_view path,
                                  bool fallback) const;
  // A token id: an integer in [0, 2^31).
  absl::StatusOr<int32_t> id(const Json &value, std::string_view path) const;

 private:
  std::string origin_;
};

std::string jsonTypeName(const Json &value);
std::string joinPath(std::string_view path, std::string_view key);
std::string indexPath(std::string_view path, size_t index);

}  // namespace lfm::text

#endif  // LFM_TEXT_JSONFIELDS_H
