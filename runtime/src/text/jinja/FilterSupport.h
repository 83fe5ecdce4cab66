// What the filter files share: attribute getters (jinja2's
// make_attrgetter), a stable sort that survives inconsistent comparisons,
// and the filters themselves, which Filters.cpp puts in its table.
#ifndef LFM_TEXT_JINJA_FILTERSUPPORT_H
#define LFM_TEXT_JINJA_FILTERSUPPORT_H

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "text/jinja/Value.h"

// `lhs = value of the StatusOr expr`, or returns its error.
#define LFM_FILTER_TRY(lhs, expr)               \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(lhs##_or).value()

namespace lfm::jinja {

using Getter = std::function<absl::StatusOr<Value>(const Value &)>;

// A string in lower case (the filters' case_sensitive=False); others as
// they are.
Value ignoreCase(const Value &value);
// jinja2's make_attrgetter: "a.b.0" looks up a, then b, then item 0; a
// fallback replaces an Undefined step.
Getter attrGetter(const Value &attribute, std::optional<Value> fallback = std::nullopt,
                  bool ignore_case = false);
// Sorts items by keys (Python's ordering), stably, as sorted() does.
absl::Status mergeSort(std::vector<Value> &items, const std::vector<Value> &keys, bool reverse);
// jinja2's soft_str: str() of the value.
absl::StatusOr<std::string> softStr(const Value &value);

// The filters (FilterText.cpp, FilterSequence.cpp, FilterValue.cpp).
absl::StatusOr<Value> filterAbs(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterAttr(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterBatch(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterCapitalize(Interpreter &interpreter, const Value &value,
                                       CallArgs &args);
absl::StatusOr<Value> filterCenter(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterDefault(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterDictsort(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterEscape(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterFirst(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterFloat(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterFormat(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterIndent(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterInt(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterItems(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterJoin(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterLast(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterLength(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterList(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterLower(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterMap(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterMax(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterMin(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterReject(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterRejectAttr(Interpreter &interpreter, const Value &value,
                                       CallArgs &args);
absl::StatusOr<Value> filterReplace(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterReverse(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterRound(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterSafe(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterSelect(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterSelectAttr(Interpreter &interpreter, const Value &value,
                                       CallArgs &args);
absl::StatusOr<Value> filterSlice(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterSort(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterString(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterSum(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterTitle(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterToJson(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterTrim(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterTruncate(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterUnique(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterUpper(Interpreter &interpreter, const Value &value, CallArgs &args);
absl::StatusOr<Value> filterWordcount(Interpreter &interpreter, const Value &value, CallArgs &args);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_FILTERSUPPORT_H
