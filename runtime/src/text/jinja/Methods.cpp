#include "text/jinja/Methods.h"

#include <algorithm>

#include "text/jinja/Args.h"
#include "text/jinja/Operators.h"
#include "text/jinja/StrMethods.h"
#include "text/jinja/Strings.h"

namespace lfm::jinja {
namespace {

absl::StatusOr<Value> noArgs(const char *name, const CallArgs &args) {
  if (!args.positional.empty() || !args.keyword.empty())
    return absl::InvalidArgumentError(cat(name, "() takes no arguments"));
  return Value();
}

absl::StatusOr<Value> callDictMethod(std::string_view name, const Value &self,
                                     const CallArgs &args) {
  const DictData &dict = self.dictData();
  if (name == "get") {
    absl::StatusOr<std::vector<Value>> bound =
        bindArgs("get", args, {{"key", std::nullopt}, {"default", Value::none()}});
    if (!bound.ok()) return bound.status();
    if (!hashKey((*bound)[0]))
      return absl::InvalidArgumentError(cat("unhashable type: '", (*bound)[0].typeName(), "'"));
    const Value *found = dict.find((*bound)[0]);
    return found ? *found : (*bound)[1];
  }
  if (absl::StatusOr<Value> st = noArgs(std::string(name).c_str(), args); !st.ok())
    return st.status();
  if (name == "copy") return self;
  std::vector<Value> out;
  out.reserve(dict.size());
  for (const auto &[key, value] : dict.entries()) {
    if (name == "items")
      out.push_back(Value::tuple({key, value}));
    else
      out.push_back(name == "keys" ? key : value);
  }
  return Value::dictView(std::move(out), name == "items"  ? "dict_items"
                                         : name == "keys" ? "dict_keys"
                                                          : "dict_values");
}

absl::StatusOr<Value> callListMethod(std::string_view name, const Value &self,
                                     const CallArgs &args) {
  const std::vector<Value> &items = self.items();
  if (name == "copy") {
    if (absl::StatusOr<Value> st = noArgs("copy", args); !st.ok()) return st.status();
    return self;
  }
  absl::StatusOr<std::vector<Value>> bound = bindArgs(name, args, {{"value", std::nullopt}});
  if (!bound.ok()) return bound.status();
  if (name == "count") {
    int64_t count = 0;
    for (const Value &item : items) count += valuesEqual(item, (*bound)[0]) ? 1 : 0;
    return Value::integer(count);
  }
  for (size_t i = 0; i < items.size(); ++i)
    if (valuesEqual(items[i], (*bound)[0])) return Value::integer(static_cast<int64_t>(i));
  return absl::InvalidArgumentError(cat(self.typeName(), ".index(x): x not in ", self.typeName()));
}

class BoundMethod : public Object {
 public:
  BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
  std::string typeName() const override { return "builtin_function_or_method"; }
  std::string repr() const override {
    return cat("<built-in method ", name_, " of ", self_.typeName(), " object>");
  }
  bool callable() const override { return true; }
  absl::StatusOr<Value> call(Interpreter &, CallArgs &args) const override {
    if (self_.isString()) return callStrMethod(name_, self_, args);
    if (self_.isDict()) return callDictMethod(name_, self_, args);
    return callListMethod(name_, self_, args);
  }

 private:
  Value self_;
  std::string name_;
};

bool oneOf(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::optional<Value> methodAttr(const Value &self, std::string_view name) {
  bool known = false;
  bool unsafe = false;
  if (self.isString()) {
    known = isStrMethod(name);
  } else if (self.isDict()) {
    known = oneOf(name, {"get", "items", "keys", "values", "copy"});
    unsafe = oneOf(name, {"clear", "pop", "popitem", "setdefault", "update"});
  } else if (self.isSequenceValue()) {
    known = oneOf(name, {"index", "count"}) || (self.isList() && name == "copy");
    unsafe = self.isList() && oneOf(name, {"append", "extend", "insert", "pop", "remove", "reverse",
                                           "sort", "clear"});
  }
  if (unsafe)
    return Value::undefined(
        cat("access to attribute '", name, "' of '", self.typeName(), "' object is unsafe"));
  if (!known) return std::nullopt;
  return Value::object(std::make_shared<BoundMethod>(self, std::string(name)));
}

}  // namespace lfm::jinja
