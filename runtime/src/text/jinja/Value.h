// The values a template computes with, with Python's data model as jinja2
// sees it: Undefined, None, bool, int, float, str, list, tuple, dict, and
// objects (namespace, macro, loop, callables). Lists and dicts cannot be
// changed once built (the sandbox forbids append() and friends), so copies
// share them; only a namespace's attributes change.
#ifndef LFM_TEXT_JINJA_VALUE_H
#define LFM_TEXT_JINJA_VALUE_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lfm::jinja {

class Interpreter;
class Object;
class Value;

struct ListData;
class DictData;

class Value {
 public:
  enum class Kind : uint8_t {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kDict,
    kObject
  };

  Value() = default;  // Undefined
  // `hint` is what using it reports ("'x' is undefined").
  static Value undefined(std::string hint);
  static Value none();
  static Value boolean(bool value);
  static Value integer(int64_t value);
  static Value number(double value);
  static Value string(std::string value);
  static Value list(std::vector<Value> items);
  static Value tuple(std::vector<Value> items);
  static Value dictView(std::vector<Value> items, const char *view);
  static Value dict(DictData data);
  static Value object(std::shared_ptr<Object> object);

  Kind kind() const { return kind_; }
  bool isUndefined() const { return kind_ == Kind::kUndefined; }
  bool isNone() const { return kind_ == Kind::kNone; }
  bool isBool() const { return kind_ == Kind::kBool; }
  bool isInt() const { return kind_ == Kind::kInt; }  // not bool
  bool isFloat() const { return kind_ == Kind::kFloat; }
  bool isString() const { return kind_ == Kind::kString; }
  bool isList() const;
  bool isTuple() const;
  bool isSequenceValue() const { return kind_ == Kind::kList; }  // list or tuple
  bool isDict() const { return kind_ == Kind::kDict; }
  bool isObject() const { return kind_ == Kind::kObject; }
  // Python's numbers.Number: bool, int, float.
  bool isNumber() const {
    return kind_ == Kind::kBool || kind_ == Kind::kInt || kind_ == Kind::kFloat;
  }
  bool isIntegral() const { return kind_ == Kind::kBool || kind_ == Kind::kInt; }

  bool asBool() const { return b_; }
  int64_t asInt() const { return kind_ == Kind::kBool ? (b_ ? 1 : 0) : i_; }  // bool or int
  double asFloat() const { return kind_ == Kind::kFloat ? f_ : static_cast<double>(asInt()); }
  const std::string &str() const { return *static_cast<const std::string *>(ptr_.get()); }
  const ListData &listData() const { return *static_cast<const ListData *>(ptr_.get()); }
  const std::vector<Value> &items() const;
  const DictData &dictData() const { return *static_cast<const DictData *>(ptr_.get()); }
  Object *object() const { return static_cast<Object *>(ptr_.get()); }
  std::shared_ptr<Object> objectPtr() const { return std::static_pointer_cast<Object>(ptr_); }
  const std::string &undefinedHint() const;

  // Containers nested in this value, this one included (0 for a scalar).
  int depth() const;
  bool truthy() const;  // Python's bool()
  // The Python type name, for messages: "str", "int", "list", "NoneType", ...
  std::string typeName() const;
  // Identity of the shared data (for `is sameas` and cycle checks).
  const void *identity() const { return ptr_.get(); }

 private:
  Kind kind_ = Kind::kUndefined;
  union {
    bool b_;
    int64_t i_ = 0;
    double f_;
  };
  std::shared_ptr<void> ptr_;
};

// The containers a Value points at, complete only after Value is (each
// holds Values).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

struct ListData {
  std::vector<Value> items;
  bool tuple = false;
  int depth = 1;  // nesting of containers, this one included
  // "dict_items", "dict_keys" or "dict_values" for what dict methods
  // return (a list that prints as Python prints those views).
  const char *view = nullptr;
};

// A dict keeps its insertion order, as Python's does. Keys are hashable
// values (str, int, float, bool, None, tuples of them); 1, 1.0 and True are
// one key, as in Python.
class DictData {
 public:
  const Value *find(const Value &key) const;
  const Value *find(std::string_view key) const;
  // Replaces the value of a present key (keeping its place); error for an
  // unhashable key.
  absl::Status set(Value key, Value value);
  const std::vector<std::pair<Value, Value>> &entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  int depth() const { return depth_; }

 private:
  std::vector<std::pair<Value, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;
  int depth_ = 1;
};

inline bool Value::isList() const { return kind_ == Kind::kList && !listData().tuple; }
inline bool Value::isTuple() const { return kind_ == Kind::kList && listData().tuple; }
inline const std::vector<Value> &Value::items() const { return listData().items; }

// A dict key's identity ("s" + text for a str, ...); none for an
// unhashable value.
std::optional<std::string> hashKey(const Value &key);

// Objects: namespace, macros, the loop, callables, bound methods.
class Object {
 public:
  virtual ~Object() = default;
  virtual std::string typeName() const = 0;
  virtual std::string repr() const;
  // Undefined when there is no such attribute.
  virtual Value getAttr(std::string_view name) const;
  virtual bool callable() const { return false; }
  virtual absl::StatusOr<Value> call(Interpreter &interpreter, CallArgs &args) const;
  // Drops references to other values at the end of a render, so that
  // cycles (a namespace holding itself, a macro its scope) are freed.
  virtual void release() {}
};

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_VALUE_H
