#include "text/jinja/FilterSupport.h"

#include <algorithm>
#include <charconv>

#include "text/jinja/Access.h"
#include "text/jinja/Operators.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {

Value ignoreCase(const Value &value) {
  return value.isString() ? Value::string(lower(value.str())) : value;
}

// jinja2's make_attrgetter: "a.b.0" looks up a, then b, then item 0.
Getter attrGetter(const Value &attribute, std::optional<Value> fallback, bool ignore_case) {
  std::vector<Value> parts;
  if (attribute.isString()) {
    const std::string &text = attribute.str();
    size_t start = 0;
    while (true) {
      size_t dot = text.find('.', start);
      std::string part =
          text.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; });
      int64_t index = 0;
      if (digits &&
          std::from_chars(part.data(), part.data() + part.size(), index).ec == std::errc())
        parts.push_back(Value::integer(index));
      else
        parts.push_back(Value::string(part));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  } else if (!attribute.isNone()) {
    parts.push_back(attribute);
  }
  return [parts, fallback, ignore_case](const Value &item) -> absl::StatusOr<Value> {
    Value current = item;
    for (const Value &part : parts) {
      LFM_FILTER_TRY(next, getItem(current, part));
      current = next;
      if (fallback && current.isUndefined()) current = *fallback;
    }
    return ignore_case ? ignoreCase(current) : current;
  };
}

// A stable merge sort that never trusts the comparison to be consistent
// (a failed comparison stops it with that error).
absl::Status mergeSort(std::vector<Value> &items, const std::vector<Value> &keys, bool reverse) {
  std::vector<size_t> order(items.size()), scratch(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  absl::Status failure;
  auto before = [&](size_t a, size_t b) -> bool {  // keys[b] sorts before keys[a]
    absl::StatusOr<bool> less = reverse ? lessThan(keys[a], keys[b]) : lessThan(keys[b], keys[a]);
    if (!less.ok()) {
      if (failure.ok()) failure = less.status();
      return false;
    }
    return *less;
  };
  for (size_t width = 1; width < order.size() && failure.ok(); width *= 2) {
    for (size_t lo = 0; lo < order.size(); lo += 2 * width) {
      size_t mid = std::min(lo + width, order.size()), hi = std::min(lo + 2 * width, order.size());
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) scratch[k++] = before(order[i], order[j]) ? order[j++] : order[i++];
      while (i < mid) scratch[k++] = order[i++];
      while (j < hi) scratch[k++] = order[j++];
    }
    order.swap(scratch);
  }
  if (!failure.ok()) return failure;
  std::vector<Value> sorted;
  sorted.reserve(items.size());
  for (size_t i : order) sorted.push_back(items[i]);
  items.swap(sorted);
  return absl::OkStatus();
}

absl::StatusOr<std::string> softStr(const Value &value) { return pyStr(value); }

}  // namespace lfm::jinja
