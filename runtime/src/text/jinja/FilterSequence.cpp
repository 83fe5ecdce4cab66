// The filters on sequences: batch, dictsort, first, items, join, last,
// length, list, map, max, min, reject(attr), reverse, select(attr), slice,
// sort, sum, unique.
#include <algorithm>
#include <unordered_set>

#include "text/jinja/Args.h"
#include "text/jinja/Errors.h"
#include "text/jinja/FilterSupport.h"
#include "text/jinja/Filters.h"
#include "text/jinja/Interpreter.h"
#include "text/jinja/Iterator.h"
#include "text/jinja/Limits.h"
#include "text/jinja/Operators.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

absl::StatusOr<Value> minOrMax(const Value &value, CallArgs &args, bool want_max) {
  const char *name = want_max ? "max" : "min";
  LFM_FILTER_TRY(
      bound, bindArgs(name, args,
                      {{"case_sensitive", Value::boolean(false)}, {"attribute", Value::none()}}));
  LFM_FILTER_TRY(items, iterate(value));
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  Getter key = attrGetter(bound[1], std::nullopt, !bound[0].truthy());
  size_t best = 0;
  LFM_FILTER_TRY(best_key, key(items[0]));
  for (size_t i = 1; i < items.size(); ++i) {
    LFM_FILTER_TRY(candidate, key(items[i]));
    LFM_FILTER_TRY(better,
                   want_max ? lessThan(best_key, candidate) : lessThan(candidate, best_key));
    if (better) {
      best = i;
      best_key = candidate;
    }
  }
  return items[best];
}

// select, reject, selectattr, rejectattr.
absl::StatusOr<Value> selectOrReject(Interpreter &interpreter, const Value &value, CallArgs &args,
                                     bool lookup_attr, bool reject) {
  const char *name =
      lookup_attr ? (reject ? "rejectattr" : "selectattr") : (reject ? "reject" : "select");
  size_t offset = 0;
  Getter transform = [](const Value &item) -> absl::StatusOr<Value> { return item; };
  if (lookup_attr) {
    if (args.positional.empty()) return templateError("Missing parameter for attribute name");
    transform = attrGetter(args.positional[0]);
    offset = 1;
  }
  std::optional<std::string> test;
  CallArgs test_args;
  if (args.positional.size() > offset) {
    LFM_FILTER_TRY(test_name, stringArg(name, "test", args.positional[offset]));
    test = test_name;
    test_args.positional.assign(args.positional.begin() + offset + 1, args.positional.end());
    test_args.keyword = args.keyword;
  }
  std::vector<Value> out;
  if (value.truthy()) {
    LFM_FILTER_TRY(items, iterate(value));
    for (const Value &item : items) {
      LFM_FILTER_TRY(subject, transform(item));
      bool passed;
      if (test) {
        CallArgs copy = test_args;
        LFM_FILTER_TRY(result, interpreter.callTest(*test, subject, copy));
        passed = result;
      } else {
        passed = subject.truthy();
      }
      if (passed != reject) out.push_back(item);
    }
  }
  return makeGenerator("select_or_reject", std::move(out));
}

}  // namespace

absl::StatusOr<Value> filterBatch(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(
      bound, bindArgs("batch", args, {{"linecount", std::nullopt}, {"fill_with", Value::none()}}));
  LFM_FILTER_TRY(count, intArg("batch", "linecount", bound[0]));
  if (count <= 0) return templateError("batch(): linecount must be positive");
  LFM_FILTER_TRY(items, iterate(value));
  std::vector<Value> batches, current;
  for (const Value &item : items) {
    if (static_cast<int64_t>(current.size()) == count) {
      batches.push_back(Value::list(std::move(current)));
      current.clear();
    }
    current.push_back(item);
  }
  if (!current.empty()) {
    if (!bound[1].isNone())
      while (static_cast<int64_t>(current.size()) < count) current.push_back(bound[1]);
    batches.push_back(Value::list(std::move(current)));
  }
  return makeGenerator("do_batch", std::move(batches));
}

absl::StatusOr<Value> filterDictsort(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("dictsort", args,
                                 {{"case_sensitive", Value::boolean(false)},
                                  {"by", Value::string("key")},
                                  {"reverse", Value::boolean(false)}}));
  if (!value.isDict()) return templateError("dictsort: the value is not a mapping");
  size_t position;
  if (bound[1].isString() && bound[1].str() == "key")
    position = 0;
  else if (bound[1].isString() && bound[1].str() == "value")
    position = 1;
  else
    return templateError("You can only sort by either \"key\" or \"value\"");
  std::vector<Value> items, keys;
  for (const auto &[key, item] : value.dictData().entries()) {
    items.push_back(Value::tuple({key, item}));
    const Value &sort_key = position == 0 ? key : item;
    keys.push_back(bound[0].truthy() ? sort_key : ignoreCase(sort_key));
  }
  if (absl::Status st = mergeSort(items, keys, bound[2].truthy()); !st.ok()) return st;
  return Value::list(std::move(items));
}

absl::StatusOr<Value> filterFirst(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("first", args, {}));
  (void)bound;
  LFM_FILTER_TRY(items, iterate(value));
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

absl::StatusOr<Value> filterLast(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("last", args, {}));
  (void)bound;
  if (asIterator(value))
    return templateError(cat("'", value.typeName(), "' object is not reversible"));
  LFM_FILTER_TRY(items, iterate(value));
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

absl::StatusOr<Value> filterItems(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("items", args, {}));
  (void)bound;
  if (value.isUndefined()) return makeGenerator("do_items", {});
  if (!value.isDict()) return templateError("Can only get item pairs from a mapping.");
  std::vector<Value> items;
  for (const auto &[key, item] : value.dictData().entries())
    items.push_back(Value::tuple({key, item}));
  return makeGenerator("do_items", std::move(items));
}

absl::StatusOr<Value> filterJoin(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound,
                 bindArgs("join", args, {{"d", Value::string("")}, {"attribute", Value::none()}}));
  LFM_FILTER_TRY(separator, softStr(bound[0]));
  LFM_FILTER_TRY(items, iterate(value));
  Getter getter = attrGetter(bound[1]);
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    LFM_FILTER_TRY(item, getter(items[i]));
    if (absl::Status st = appendStr(out, item); !st.ok()) return st;
    if (out.size() > kMaxOutputBytes)
      return limitError("join() result longer than the output limit");
  }
  return Value::string(std::move(out));
}

absl::StatusOr<Value> filterLength(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("length", args, {}));
  (void)bound;
  switch (value.kind()) {
    case Value::Kind::kString:
      return Value::integer(static_cast<int64_t>(codePointCount(value.str())));
    case Value::Kind::kList:
      return Value::integer(static_cast<int64_t>(value.items().size()));
    case Value::Kind::kDict:
      return Value::integer(static_cast<int64_t>(value.dictData().size()));
    case Value::Kind::kUndefined:
      return Value::integer(0);
    default:
      return templateError(cat("object of type '", value.typeName(), "' has no len()"));
  }
}

absl::StatusOr<Value> filterList(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("list", args, {}));
  (void)bound;
  LFM_FILTER_TRY(items, iterate(value));
  return Value::list(std::move(items));
}

absl::StatusOr<Value> filterMap(Interpreter &interpreter, const Value &value, CallArgs &args) {
  std::function<absl::StatusOr<Value>(const Value &)> function;
  bool has_attribute = false;
  for (const auto &kw : args.keyword) has_attribute |= kw.first == "attribute";
  if (args.positional.empty() && has_attribute) {
    Value attribute, fallback = Value::none();
    for (const auto &[key, item] : args.keyword) {
      if (key == "attribute")
        attribute = item;
      else if (key == "default")
        fallback = item;
      else
        return templateError(cat("Unexpected keyword argument '", key, "'"));
    }
    function =
        attrGetter(attribute, fallback.isNone() ? std::nullopt : std::optional<Value>(fallback));
  } else {
    if (args.positional.empty()) return templateError("map requires a filter argument");
    LFM_FILTER_TRY(name, stringArg("map", "filter", args.positional[0]));
    if (!hasFilter(name)) return templateError(cat("no filter named '", name, "'"));
    CallArgs rest;
    rest.positional.assign(args.positional.begin() + 1, args.positional.end());
    rest.keyword = args.keyword;
    function = [&interpreter, name, rest](const Value &item) -> absl::StatusOr<Value> {
      CallArgs copy = rest;
      return interpreter.callFilter(name, item, copy);
    };
  }
  std::vector<Value> out;
  if (value.truthy()) {
    LFM_FILTER_TRY(items, iterate(value));
    for (const Value &item : items) {
      LFM_FILTER_TRY(mapped, function(item));
      out.push_back(std::move(mapped));
    }
  }
  return makeGenerator("sync_do_map", std::move(out));
}

absl::StatusOr<Value> filterMax(Interpreter &, const Value &value, CallArgs &args) {
  return minOrMax(value, args, true);
}

absl::StatusOr<Value> filterMin(Interpreter &, const Value &value, CallArgs &args) {
  return minOrMax(value, args, false);
}

absl::StatusOr<Value> filterSelect(Interpreter &i, const Value &v, CallArgs &a) {
  return selectOrReject(i, v, a, false, false);
}

absl::StatusOr<Value> filterReject(Interpreter &i, const Value &v, CallArgs &a) {
  return selectOrReject(i, v, a, false, true);
}

absl::StatusOr<Value> filterSelectAttr(Interpreter &i, const Value &v, CallArgs &a) {
  return selectOrReject(i, v, a, true, false);
}

absl::StatusOr<Value> filterRejectAttr(Interpreter &i, const Value &v, CallArgs &a) {
  return selectOrReject(i, v, a, true, true);
}

absl::StatusOr<Value> filterReverse(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("reverse", args, {}));
  (void)bound;
  if (value.isString()) {
    std::vector<size_t> offsets = codePointOffsets(value.str());
    std::string out;
    out.reserve(value.str().size());
    for (size_t i = offsets.size() - 1; i > 0; --i)
      out.append(value.str(), offsets[i - 1], offsets[i] - offsets[i - 1]);
    return Value::string(std::move(out));
  }
  // reversed() of a list, tuple or dict is an iterator; of anything else
  // iterable, a reversed list.
  const char *iterator_type = value.isList()        ? "list_reverseiterator"
                              : value.isTuple()     ? "reversed"
                              : value.isDict()      ? "dict_reversekeyiterator"
                              : value.isUndefined() ? "reversed"
                                                    : nullptr;
  LFM_FILTER_TRY(items, iterate(value));
  std::reverse(items.begin(), items.end());
  if (iterator_type)
    return Value::object(std::make_shared<IteratorObject>(iterator_type, "", std::move(items)));
  return Value::list(std::move(items));
}

absl::StatusOr<Value> filterSlice(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound,
                 bindArgs("slice", args, {{"slices", std::nullopt}, {"fill_with", Value::none()}}));
  LFM_FILTER_TRY(slices, intArg("slice", "slices", bound[0]));
  if (slices <= 0 || slices > static_cast<int64_t>(kMaxListItems))
    return templateError("slice(): slices must be positive");
  LFM_FILTER_TRY(items, iterate(value));
  int64_t length = static_cast<int64_t>(items.size());
  int64_t per_slice = length / slices, with_extra = length % slices, offset = 0;
  std::vector<Value> out;
  for (int64_t number = 0; number < slices; ++number) {
    int64_t start = offset + number * per_slice;
    if (number < with_extra) ++offset;
    int64_t end = offset + (number + 1) * per_slice;
    std::vector<Value> piece(items.begin() + start, items.begin() + end);
    if (!bound[1].isNone() && number >= with_extra) piece.push_back(bound[1]);
    out.push_back(Value::list(std::move(piece)));
  }
  return makeGenerator("sync_do_slice", std::move(out));
}

absl::StatusOr<Value> filterSort(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("sort", args,
                                 {{"reverse", Value::boolean(false)},
                                  {"case_sensitive", Value::boolean(false)},
                                  {"attribute", Value::none()}}));
  LFM_FILTER_TRY(items, iterate(value));
  bool ignore = !bound[1].truthy();
  std::vector<Getter> getters;
  if (bound[2].isString() && bound[2].str().find(',') != std::string::npos) {
    const std::string &text = bound[2].str();
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      getters.push_back(
          attrGetter(Value::string(text.substr(start, comma - start)), std::nullopt, ignore));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    getters.push_back(attrGetter(bound[2], std::nullopt, ignore));
  }
  std::vector<Value> keys;
  keys.reserve(items.size());
  for (const Value &item : items) {
    if (getters.size() == 1) {
      LFM_FILTER_TRY(key, getters[0](item));
      keys.push_back(key);
    } else {
      std::vector<Value> parts;
      for (const Getter &getter : getters) {
        LFM_FILTER_TRY(key, getter(item));
        parts.push_back(key);
      }
      keys.push_back(Value::list(std::move(parts)));
    }
  }
  if (absl::Status st = mergeSort(items, keys, bound[0].truthy()); !st.ok()) return st;
  return Value::list(std::move(items));
}

absl::StatusOr<Value> filterSum(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(
      bound, bindArgs("sum", args, {{"attribute", Value::none()}, {"start", Value::integer(0)}}));
  LFM_FILTER_TRY(items, iterate(value));
  Getter getter = attrGetter(bound[0]);
  Value total = bound[1];
  for (const Value &item : items) {
    LFM_FILTER_TRY(part, getter(item));
    if (total.isString()) return templateError("sum() can't sum strings");
    LFM_FILTER_TRY(next, binaryOp(BinaryOp::kAdd, total, part));
    total = next;
  }
  return total;
}

absl::StatusOr<Value> filterUnique(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(
      bound, bindArgs("unique", args,
                      {{"case_sensitive", Value::boolean(false)}, {"attribute", Value::none()}}));
  LFM_FILTER_TRY(items, iterate(value));
  Getter key = attrGetter(bound[1], std::nullopt, !bound[0].truthy());
  std::unordered_set<std::string> seen;
  std::vector<Value> out;
  for (const Value &item : items) {
    LFM_FILTER_TRY(item_key, key(item));
    std::optional<std::string> hash = hashKey(item_key);
    if (!hash) return templateError(cat("unhashable type: '", item_key.typeName(), "'"));
    if (seen.insert(*hash).second) out.push_back(item);
  }
  return makeGenerator("sync_do_unique", std::move(out));
}

}  // namespace lfm::jinja
