#include "text/jinja/Value.h"

#include "text/jinja/PyRepr.h"

#include <cmath>
#include <limits>

#include "text/jinja/Strings.h"

namespace lfm::jinja {

Value Value::undefined(std::string hint) {
  Value v;
  v.ptr_ = std::make_shared<std::string>(std::move(hint));
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}

Value Value::boolean(bool value) {
  Value v;
  v.kind_ = Kind::kBool;
  v.b_ = value;
  return v;
}

Value Value::integer(int64_t value) {
  Value v;
  v.kind_ = Kind::kInt;
  v.i_ = value;
  return v;
}

Value Value::number(double value) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.f_ = value;
  return v;
}

Value Value::string(std::string value) {
  Value v;
  v.kind_ = Kind::kString;
  v.ptr_ = std::make_shared<std::string>(std::move(value));
  return v;
}

Value Value::list(std::vector<Value> items) {
  Value v;
  auto data = std::make_shared<ListData>();
  int depth = 0;
  for (const Value &item : items) depth = std::max(depth, item.depth());
  data->items = std::move(items);
  data->depth = depth + 1;
  v.kind_ = Kind::kList;
  v.ptr_ = std::move(data);
  return v;
}

Value Value::tuple(std::vector<Value> items) {
  Value v = list(std::move(items));
  static_cast<ListData *>(v.ptr_.get())->tuple = true;
  return v;
}

Value Value::dictView(std::vector<Value> items, const char *view) {
  Value v = list(std::move(items));
  static_cast<ListData *>(v.ptr_.get())->view = view;
  return v;
}

Value Value::dict(DictData data) {
  Value v;
  v.kind_ = Kind::kDict;
  v.ptr_ = std::make_shared<DictData>(std::move(data));
  return v;
}

Value Value::object(std::shared_ptr<Object> object) {
  Value v;
  v.kind_ = Kind::kObject;
  v.ptr_ = std::move(object);
  return v;
}

const std::string &Value::undefinedHint() const {
  static const std::string kEmpty;
  return ptr_ ? *static_cast<const std::string *>(ptr_.get()) : kEmpty;
}

int Value::depth() const {
  if (kind_ == Kind::kList) return listData().depth;
  if (kind_ == Kind::kDict) return dictData().depth();
  return 0;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return b_;
    case Kind::kInt:
      return i_ != 0;
    case Kind::kFloat:
      return f_ != 0.0;
    case Kind::kString:
      return !str().empty();
    case Kind::kList:
      return !items().empty();
    case Kind::kDict:
      return dictData().size() != 0;
    case Kind::kObject:
      return true;
  }
  return false;
}

std::string Value::typeName() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return listData().tuple ? "tuple" : "list";
    case Kind::kDict:
      return "dict";
    case Kind::kObject:
      return object()->typeName();
  }
  return "object";
}

std::optional<std::string> hashKey(const Value &key) {
  switch (key.kind()) {
    case Value::Kind::kString:
      return cat("s", key.str());
    case Value::Kind::kBool:
    case Value::Kind::kInt:
      return cat("i", key.asInt());
    case Value::Kind::kFloat: {
      double f = key.asFloat();
      if (std::isfinite(f) && f == std::floor(f) && std::fabs(f) < 9.2e18)
        return cat("i", static_cast<int64_t>(f));
      if (std::isnan(f)) return std::nullopt;  // NaN never equals itself
      return cat("f", floatRepr(f));
    }
    case Value::Kind::kNone:
      return std::string("n");
    case Value::Kind::kUndefined:
      return std::string("u");
    case Value::Kind::kList: {
      if (!key.isTuple()) return std::nullopt;
      std::string out = "t(";
      for (const Value &item : key.items()) {
        std::optional<std::string> part = hashKey(item);
        if (!part) return std::nullopt;
        catTo(&out, part->size(), ":", *part);
      }
      return out + ")";
    }
    case Value::Kind::kObject:
      return cat("o", reinterpret_cast<uintptr_t>(key.identity()));
    case Value::Kind::kDict:
      return std::nullopt;
  }
  return std::nullopt;
}

const Value *DictData::find(const Value &key) const {
  std::optional<std::string> hash = hashKey(key);
  if (!hash) return nullptr;
  auto it = index_.find(*hash);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const Value *DictData::find(std::string_view key) const {
  auto it = index_.find(cat("s", key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

absl::Status DictData::set(Value key, Value value) {
  std::optional<std::string> hash = hashKey(key);
  if (!hash) return absl::InvalidArgumentError(cat("unhashable type: '", key.typeName(), "'"));
  depth_ = std::max({depth_, key.depth() + 1, value.depth() + 1});
  auto [it, inserted] = index_.emplace(std::move(*hash), entries_.size());
  if (inserted)
    entries_.emplace_back(std::move(key), std::move(value));
  else
    entries_[it->second].second = std::move(value);
  return absl::OkStatus();
}

std::string Object::repr() const { return cat("<", typeName(), " object>"); }

Value Object::getAttr(std::string_view name) const {
  return Value::undefined(cat("'", typeName(), " object' has no attribute '", name, "'"));
}

absl::StatusOr<Value> Object::call(Interpreter &, CallArgs &) const {
  return absl::InvalidArgumentError(cat("'", typeName(), "' object is not callable"));
}

}  // namespace lfm::jinja
