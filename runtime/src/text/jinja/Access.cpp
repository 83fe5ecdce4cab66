#include "text/jinja/Access.h"

#include "text/jinja/Errors.h"
#include "text/jinja/Methods.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

Value missingAttr(const Value &object, std::string_view name) {
  return Value::undefined(cat("'", objectTypeRepr(object), "' has no attribute '", name, "'"));
}

Value missingItem(const Value &object, const Value &key) {
  if (key.isString()) return missingAttr(object, key.str());
  absl::StatusOr<std::string> shown = pyRepr(key);
  return Value::undefined(
      cat(objectTypeRepr(object), " has no element ", shown.ok() ? *shown : "?"));
}

}  // namespace

std::string objectTypeRepr(const Value &value) {
  if (value.isNone()) return "None";
  return cat(value.typeName(), " object");
}

absl::StatusOr<Value> getAttr(const Value &object, std::string_view name) {
  switch (object.kind()) {
    case Value::Kind::kUndefined:
      return undefinedError(object);
    case Value::Kind::kObject:
      return object.object()->getAttr(name);
    case Value::Kind::kString:
    case Value::Kind::kList:
    case Value::Kind::kDict: {
      if (std::optional<Value> method = methodAttr(object, name)) return *method;
      if (object.isDict())
        if (const Value *value = object.dictData().find(name)) return *value;
      return missingAttr(object, name);
    }
    default:
      return missingAttr(object, name);
  }
}

absl::StatusOr<Value> getItem(const Value &object, const Value &key) {
  switch (object.kind()) {
    case Value::Kind::kUndefined:
      return undefinedError(object);
    case Value::Kind::kDict:
      if (const Value *value = object.dictData().find(key)) return *value;
      break;
    case Value::Kind::kList:
      if (key.isIntegral()) {
        int64_t size = static_cast<int64_t>(object.items().size());
        int64_t index = key.asInt();
        if (index < 0) index += size;
        if (index >= 0 && index < size) return object.items()[index];
        return missingItem(object, key);
      }
      break;
    case Value::Kind::kString:
      if (key.isIntegral()) {
        const std::string &text = object.str();
        std::vector<size_t> offsets = codePointOffsets(text);
        int64_t size = static_cast<int64_t>(offsets.size()) - 1;
        int64_t index = key.asInt();
        if (index < 0) index += size;
        if (index >= 0 && index < size)
          return Value::string(text.substr(offsets[index], offsets[index + 1] - offsets[index]));
        return missingItem(object, key);
      }
      break;
    default:
      break;
  }
  if (key.isString()) return getAttr(object, key.str());
  return missingItem(object, key);
}

absl::StatusOr<std::vector<int64_t>> sliceIndexes(int64_t length, const Value &start_value,
                                                  const Value &stop_value,
                                                  const Value &step_value) {
  auto bound = [](const Value &value, int64_t fallback) -> absl::StatusOr<int64_t> {
    if (value.isNone()) return fallback;
    if (value.isIntegral()) return value.asInt();
    return absl::InvalidArgumentError("slice indices must be integers or None");
  };
  absl::StatusOr<int64_t> step = bound(step_value, 1);
  if (!step.ok()) return step.status();
  if (*step == 0) return absl::InvalidArgumentError("slice step cannot be zero");
  bool back = *step < 0;
  absl::StatusOr<int64_t> start = bound(start_value, back ? length - 1 : 0);
  absl::StatusOr<int64_t> stop = bound(stop_value, back ? -length - 1 : length);
  if (!start.ok()) return start.status();
  if (!stop.ok()) return stop.status();
  auto adjust = [&](int64_t index) {
    if (index < 0) {
      index += length;
      if (index < 0) index = back ? -1 : 0;
    } else if (index >= length) {
      index = back ? length - 1 : length;
    }
    return index;
  };
  int64_t first = adjust(*start), last = adjust(*stop);
  std::vector<int64_t> indexes;
  if (back) {
    for (int64_t i = first; i > last; i += *step) indexes.push_back(i);
  } else {
    for (int64_t i = first; i < last; i += *step) indexes.push_back(i);
  }
  return indexes;
}

absl::StatusOr<Value> getSlice(const Value &object, const Value &start, const Value &stop,
                               const Value &step) {
  if (object.isUndefined()) return undefinedError(object);
  // Bounds that are not ints or None make jinja2's getitem give Undefined
  // (Python raises TypeError, which it catches); a zero step is an error.
  for (const Value *bound : {&start, &stop, &step})
    if (!bound->isNone() && !bound->isIntegral())
      return Value::undefined("slice indices must be integers or None");
  if (object.isSequenceValue()) {
    const std::vector<Value> &items = object.items();
    absl::StatusOr<std::vector<int64_t>> indexes =
        sliceIndexes(static_cast<int64_t>(items.size()), start, stop, step);
    if (!indexes.ok()) return indexes.status();
    std::vector<Value> out;
    out.reserve(indexes->size());
    for (int64_t i : *indexes) out.push_back(items[i]);
    return object.isTuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  if (object.isString()) {
    const std::string &text = object.str();
    std::vector<size_t> offsets = codePointOffsets(text);
    absl::StatusOr<std::vector<int64_t>> indexes =
        sliceIndexes(static_cast<int64_t>(offsets.size()) - 1, start, stop, step);
    if (!indexes.ok()) return indexes.status();
    bool contiguous = step.isNone() || step.asInt() == 1;
    if (contiguous) {
      if (indexes->empty()) return Value::string("");
      size_t begin = offsets[indexes->front()], end = offsets[indexes->back() + 1];
      return Value::string(text.substr(begin, end - begin));
    }
    std::string out;
    for (int64_t i : *indexes) out.append(text, offsets[i], offsets[i + 1] - offsets[i]);
    return Value::string(std::move(out));
  }
  return Value::undefined(cat("'", objectTypeRepr(object), "' cannot be sliced"));
}

}  // namespace lfm::jinja
