#include "text/jinja/Builtins.h"

#include <ctime>
#include <map>

#include "text/jinja/Args.h"
#include "text/jinja/Errors.h"
#include "text/jinja/Interpreter.h"
#include "text/jinja/Limits.h"
#include "text/jinja/Namespace.h"
#include "text/jinja/Operators.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Strings.h"

namespace lfm::jinja {
namespace {

using Function = absl::StatusOr<Value> (*)(Interpreter &, CallArgs &);

class BuiltinFunction : public Object {
 public:
  BuiltinFunction(std::string name, Function function)
      : name_(std::move(name)), function_(function) {}
  std::string typeName() const override { return "builtin_function_or_method"; }
  std::string repr() const override { return cat("<built-in function ", name_, ">"); }
  bool callable() const override { return true; }
  absl::StatusOr<Value> call(Interpreter &interpreter, CallArgs &args) const override {
    return function_(interpreter, args);
  }

 private:
  std::string name_;
  Function function_;
};

// dict(*args, **kwargs): at most one mapping or iterable of pairs, then
// the keyword arguments.
absl::StatusOr<DictData> buildDict(std::string_view function, const CallArgs &args) {
  DictData dict;
  if (args.positional.size() > 1)
    return absl::InvalidArgumentError(
        cat(function, " expected at most 1 argument, got ", args.positional.size()));
  if (!args.positional.empty()) {
    const Value &source = args.positional[0];
    if (source.isDict()) {
      dict = source.dictData();
    } else {
      absl::StatusOr<std::vector<Value>> pairs = iterate(source);
      if (!pairs.ok()) return pairs.status();
      for (const Value &pair : *pairs) {
        absl::StatusOr<std::vector<Value>> parts = iterate(pair);
        if (!parts.ok() || parts->size() != 2)
          return absl::InvalidArgumentError(
              cat(function, ": each element must be a sequence of 2 items"));
        if (absl::Status st = dict.set((*parts)[0], (*parts)[1]); !st.ok()) return st;
      }
    }
  }
  for (const auto &[key, value] : args.keyword)
    if (absl::Status st = dict.set(Value::string(key), value); !st.ok()) return st;
  return dict;
}

absl::StatusOr<Value> rangeFunction(Interpreter &, CallArgs &args) {
  if (!args.keyword.empty())
    return absl::InvalidArgumentError("range() takes no keyword arguments");
  size_t n = args.positional.size();
  if (n < 1 || n > 3)
    return absl::InvalidArgumentError(cat("range expected 1 to 3 arguments, got ", n));
  int64_t bounds[3] = {0, 0, 1};
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<int64_t> value = intArg("range", "bound", args.positional[i]);
    if (!value.ok()) return value.status();
    bounds[n == 1 ? 1 : i] = *value;
  }
  int64_t start = bounds[0], stop = bounds[1], step = bounds[2];
  if (step == 0) return absl::InvalidArgumentError("range() arg 3 must not be zero");
  __int128 count = 0;
  if (step > 0 && stop > start) count = ((__int128)stop - start + step - 1) / step;
  if (step < 0 && stop < start) count = ((__int128)start - stop - step - 1) / -step;
  if (count > kMaxRange)
    return limitError(cat("range too big: the sandbox blocks ranges larger than ", kMaxRange));
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) items.push_back(Value::integer(start + i * step));
  return Value::list(std::move(items));
}

absl::StatusOr<Value> dictFunction(Interpreter &, CallArgs &args) {
  absl::StatusOr<DictData> dict = buildDict("dict", args);
  if (!dict.ok()) return dict.status();
  return Value::dict(*std::move(dict));
}

absl::StatusOr<Value> namespaceFunction(Interpreter &interpreter, CallArgs &args) {
  absl::StatusOr<DictData> attrs = buildDict("namespace", args);
  if (!attrs.ok()) return attrs.status();
  auto ns = std::make_shared<Namespace>();
  for (const auto &[key, value] : attrs->entries()) {
    if (!key.isString())
      return absl::InvalidArgumentError("namespace attribute names must be strings");
    if (absl::Status st = ns->setAttr(key.str(), value); !st.ok()) return st;
  }
  interpreter.track(ns);
  return Value::object(std::move(ns));
}

absl::StatusOr<Value> raiseException(Interpreter &, CallArgs &args) {
  absl::StatusOr<std::vector<Value>> bound =
      bindArgs("raise_exception", args, {{"message", std::nullopt}});
  if (!bound.ok()) return bound.status();
  absl::StatusOr<std::string> message = pyStr((*bound)[0]);
  if (!message.ok()) return message.status();
  return absl::InvalidArgumentError(cat(kRaisedPrefix, *message));
}

absl::StatusOr<Value> strftimeNow(Interpreter &, CallArgs &args) {
  absl::StatusOr<std::vector<Value>> bound =
      bindArgs("strftime_now", args, {{"format", std::nullopt}});
  if (!bound.ok()) return bound.status();
  absl::StatusOr<std::string> format = stringArg("strftime_now", "format", (*bound)[0]);
  if (!format.ok()) return format.status();
  if (format->empty()) return Value::string("");
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::vector<char> buffer(256);
  while (buffer.size() <= 65536) {
    size_t written = std::strftime(buffer.data(), buffer.size(), format->c_str(), &local);
    if (written > 0) return Value::string(std::string(buffer.data(), written));
    buffer.resize(buffer.size() * 4);
  }
  return Value::string("");
}

const std::map<std::string, Value, std::less<>> &globals() {
  static const auto *table = [] {
    auto *map = new std::map<std::string, Value, std::less<>>();
    auto add = [&](const char *name, Function function) {
      (*map)[name] = Value::object(std::make_shared<BuiltinFunction>(name, function));
    };
    add("range", rangeFunction);
    add("dict", dictFunction);
    add("namespace", namespaceFunction);
    add("raise_exception", raiseException);
    add("strftime_now", strftimeNow);
    return map;
  }();
  return *table;
}

}  // namespace

const Value *findGlobal(std::string_view name) {
  const auto &table = globals();
  auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace lfm::jinja
