#include "text/jinja/Tests.h"

#include <map>

#include "text/jinja/Args.h"
#include "text/jinja/Errors.h"
#include "text/jinja/Filters.h"
#include "text/jinja/Iterator.h"
#include "text/jinja/Operators.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

using Test = absl::StatusOr<bool> (*)(Interpreter &, const Value &, CallArgs &);

absl::Status noArgs(std::string_view name, const CallArgs &args) {
  if (args.positional.empty() && args.keyword.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(cat("test '", name, "' takes no arguments"));
}

absl::StatusOr<Value> oneArg(std::string_view name, const CallArgs &args) {
  absl::StatusOr<std::vector<Value>> bound = bindArgs(name, args, {{"other", std::nullopt}});
  if (!bound.ok()) return bound.status();
  return (*bound)[0];
}

#define LFM_SIMPLE_TEST(fn, name, expr)                                        \
  absl::StatusOr<bool> fn(Interpreter &, const Value &value, CallArgs &args) { \
    if (absl::Status st = noArgs(name, args); !st.ok()) return st;             \
    return (expr);                                                             \
  }

LFM_SIMPLE_TEST(testDefined, "defined", !value.isUndefined())
LFM_SIMPLE_TEST(testUndefined, "undefined", value.isUndefined())
LFM_SIMPLE_TEST(testNone, "none", value.isNone())
LFM_SIMPLE_TEST(testString, "string", value.isString())
LFM_SIMPLE_TEST(testMapping, "mapping", value.isDict())
LFM_SIMPLE_TEST(testNumber, "number", value.isNumber())
LFM_SIMPLE_TEST(testInteger, "integer", value.isInt())
LFM_SIMPLE_TEST(testFloat, "float", value.isFloat())
LFM_SIMPLE_TEST(testBoolean, "boolean", value.isBool())
LFM_SIMPLE_TEST(testTrue, "true", value.isBool() && value.asBool())
LFM_SIMPLE_TEST(testFalse, "false", value.isBool() && !value.asBool())
LFM_SIMPLE_TEST(testEscaped, "escaped", false)
LFM_SIMPLE_TEST(testCallable, "callable",
                value.isUndefined() || (value.isObject() && value.object()->callable()))
LFM_SIMPLE_TEST(testIterable, "iterable",
                value.isString() || value.isSequenceValue() || value.isDict() ||
                    value.isUndefined() || asIterator(value))
LFM_SIMPLE_TEST(testSequence, "sequence",
                value.isString() || value.isSequenceValue() || value.isDict() ||
                    value.isUndefined())

absl::StatusOr<bool> caseTest(const Value &value, CallArgs &args, bool upper) {
  if (absl::Status st = noArgs(upper ? "upper" : "lower", args); !st.ok()) return st;
  absl::StatusOr<std::string> text = pyStr(value);
  if (!text.ok()) return text.status();
  bool cased = false;
  for (size_t pos = 0; pos < text->size();) {
    size_t length = 1;
    char32_t cp = decodeUtf8At(*text, pos, &length);
    pos += length;
    if (upper ? isLowerCase(cp) : isUpperCase(cp)) return false;
    if (upper ? isUpperCase(cp) : isLowerCase(cp)) cased = true;
  }
  return cased;
}

absl::StatusOr<bool> testLower(Interpreter &, const Value &value, CallArgs &args) {
  return caseTest(value, args, false);
}
absl::StatusOr<bool> testUpper(Interpreter &, const Value &value, CallArgs &args) {
  return caseTest(value, args, true);
}

absl::StatusOr<bool> modulo(const Value &value, const Value &divisor, int64_t remainder) {
  absl::StatusOr<Value> rest = binaryOp(BinaryOp::kMod, value, divisor);
  if (!rest.ok()) return rest.status();
  return valuesEqual(*rest, Value::integer(remainder));
}

absl::StatusOr<bool> testOdd(Interpreter &, const Value &value, CallArgs &args) {
  if (absl::Status st = noArgs("odd", args); !st.ok()) return st;
  return modulo(value, Value::integer(2), 1);
}
absl::StatusOr<bool> testEven(Interpreter &, const Value &value, CallArgs &args) {
  if (absl::Status st = noArgs("even", args); !st.ok()) return st;
  return modulo(value, Value::integer(2), 0);
}
absl::StatusOr<bool> testDivisibleBy(Interpreter &, const Value &value, CallArgs &args) {
  absl::StatusOr<Value> num = oneArg("divisibleby", args);
  if (!num.ok()) return num.status();
  return modulo(value, *num, 0);
}

template <CompareOp op>
absl::StatusOr<bool> testCompare(Interpreter &, const Value &value, CallArgs &args) {
  absl::StatusOr<Value> other = oneArg("compare", args);
  if (!other.ok()) return other.status();
  return compareOp(op, value, *other);
}

absl::StatusOr<bool> testIn(Interpreter &, const Value &value, CallArgs &args) {
  absl::StatusOr<Value> seq = oneArg("in", args);
  if (!seq.ok()) return seq.status();
  return containsValue(*seq, value);
}

absl::StatusOr<bool> testSameAs(Interpreter &, const Value &value, CallArgs &args) {
  absl::StatusOr<Value> other = oneArg("sameas", args);
  if (!other.ok()) return other.status();
  if (value.kind() != other->kind()) return false;
  switch (value.kind()) {
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kBool:
      return value.asBool() == other->asBool();
    case Value::Kind::kInt:
      // CPython shares the small ints.
      return value.asInt() == other->asInt() && value.asInt() >= -5 && value.asInt() <= 256;
    default:
      return value.identity() != nullptr && value.identity() == other->identity();
  }
}

absl::StatusOr<bool> testFilter(Interpreter &, const Value &value, CallArgs &args) {
  if (absl::Status st = noArgs("filter", args); !st.ok()) return st;
  return value.isString() && hasFilter(value.str());
}

absl::StatusOr<bool> testTest(Interpreter &, const Value &value, CallArgs &args) {
  if (absl::Status st = noArgs("test", args); !st.ok()) return st;
  return value.isString() && hasTest(value.str());
}

const std::map<std::string, Test, std::less<>> &table() {
  static const auto *tests = new std::map<std::string, Test, std::less<>>{
      {"defined", testDefined},
      {"undefined", testUndefined},
      {"none", testNone},
      {"string", testString},
      {"mapping", testMapping},
      {"number", testNumber},
      {"integer", testInteger},
      {"float", testFloat},
      {"boolean", testBoolean},
      {"true", testTrue},
      {"false", testFalse},
      {"escaped", testEscaped},
      {"callable", testCallable},
      {"iterable", testIterable},
      {"sequence", testSequence},
      {"lower", testLower},
      {"upper", testUpper},
      {"odd", testOdd},
      {"even", testEven},
      {"divisibleby", testDivisibleBy},
      {"eq", testCompare<CompareOp::kEq>},
      {"equalto", testCompare<CompareOp::kEq>},
      {"==", testCompare<CompareOp::kEq>},
      {"ne", testCompare<CompareOp::kNe>},
      {"!=", testCompare<CompareOp::kNe>},
      {"lt", testCompare<CompareOp::kLt>},
      {"lessthan", testCompare<CompareOp::kLt>},
      {"<", testCompare<CompareOp::kLt>},
      {"le", testCompare<CompareOp::kLe>},
      {"<=", testCompare<CompareOp::kLe>},
      {"gt", testCompare<CompareOp::kGt>},
      {"greaterthan", testCompare<CompareOp::kGt>},
      {">", testCompare<CompareOp::kGt>},
      {"ge", testCompare<CompareOp::kGe>},
      {">=", testCompare<CompareOp::kGe>},
      {"in", testIn},
      {"sameas", testSameAs},
      {"filter", testFilter},
      {"test", testTest},
  };
  return *tests;
}

}  // namespace

bool hasTest(std::string_view name) { return table().find(name) != table().end(); }

absl::StatusOr<bool> applyTest(Interpreter &interpreter, std::string_view name,
                               const Value &subject, CallArgs &args) {
  auto it = table().find(name);
  if (it == table().end()) return templateError(cat("no test named '", name, "'"));
  return it->second(interpreter, subject, args);
}

}  // namespace lfm::jinja
