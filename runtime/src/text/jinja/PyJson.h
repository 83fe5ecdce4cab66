// Python's json.dumps(), which transformers' `tojson` filter calls:
// json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False) by default. Separators default to ", " and ": " (","
// and ": " with an indent), floats print as repr(), non-ASCII stays as it is
// unless ensure_ascii.
#ifndef LFM_TEXT_JINJA_PYJSON_H
#define LFM_TEXT_JINJA_PYJSON_H

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

struct DumpOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;  // none: one line
  std::optional<std::string> item_separator;
  std::optional<std::string> key_separator;
  bool sort_keys = false;
};

absl::StatusOr<std::string> jsonDumps(const Value &value, const DumpOptions &options);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_PYJSON_H
