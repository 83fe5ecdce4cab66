// jinja2's builtin filters that chat templates use, with transformers'
// `tojson` (json.dumps, no HTML escaping, indent/separators/sort_keys):
// abs, attr, batch, capitalize, center, count, d/default, dictsort,
// e/escape, first, float, forceescape, format, indent, int, items, join,
// last, length, list, lower, map, max, min, reject, rejectattr, replace,
// reverse, round, safe, select, selectattr, slice, sort, string, sum,
// title, tojson, trim, truncate, unique, upper, wordcount. Filters that
// return generators in jinja2 (map, select, reverse, ...) return lists.
#ifndef LFM_TEXT_JINJA_FILTERS_H
#define LFM_TEXT_JINJA_FILTERS_H

#include <string_view>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

bool hasFilter(std::string_view name);
absl::StatusOr<Value> applyFilter(Interpreter &interpreter, std::string_view name,
                                  const Value &subject, CallArgs &args);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_FILTERS_H
