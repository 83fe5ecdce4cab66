#include "text/jinja/Operators.h"

#include <cmath>
#include <limits>

#include "text/jinja/Errors.h"
#include "text/jinja/Iterator.h"
#include "text/jinja/Limits.h"
#include "text/jinja/StrFormat.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

absl::Status unsupported(std::string_view symbol, const Value &left, const Value &right) {
  return absl::InvalidArgumentError(cat("unsupported operand type(s) for ", symbol, ": '",
                                        left.typeName(), "' and '", right.typeName(), "'"));
}

absl::Status overflow() { return absl::InvalidArgumentError("integer overflow (beyond 64 bits)"); }

absl::Status tooLong() {
  return absl::ResourceExhaustedError(
      cat("a string or list longer than the limit (", kMaxOutputBytes, " bytes)"));
}

// Python's floor division and modulo of ints.
int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

double floatMod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  if (m == 0) m = std::copysign(0.0, b);
  return m;
}

// CPython's float floor division.
double floatFloorDiv(double x, double y) {
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0 && ((y < 0) != (mod < 0))) div -= 1.0;
  if (div == 0) return std::copysign(0.0, x / y);
  double floor_div = std::floor(div);
  if (div - floor_div > 0.5) floor_div += 1.0;
  return floor_div;
}

absl::StatusOr<Value> repeat(const Value &sequence, int64_t count) {
  if (count < 0) count = 0;
  if (sequence.isString()) {
    const std::string &text = sequence.str();
    if (!text.empty() && static_cast<uint64_t>(count) > kMaxOutputBytes / text.size())
      return tooLong();
    std::string out;
    out.reserve(text.size() * count);
    for (int64_t i = 0; i < count; ++i) out += text;
    return Value::string(std::move(out));
  }
  const std::vector<Value> &items = sequence.items();
  if (!items.empty() && static_cast<uint64_t>(count) > kMaxListItems / items.size())
    return tooLong();
  std::vector<Value> out;
  out.reserve(items.size() * count);
  for (int64_t i = 0; i < count; ++i) out.insert(out.end(), items.begin(), items.end());
  return sequence.isTuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

}  // namespace

std::string_view binaryOpSymbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kFloorDiv:
      return "//";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "**";
  }
  return "?";
}

absl::StatusOr<Value> binaryOp(BinaryOp op, const Value &left, const Value &right) {
  if (left.isUndefined()) return undefinedError(left);
  if (right.isUndefined()) return undefinedError(right);
  std::string_view symbol = binaryOpSymbol(op);
  if (left.isNumber() && right.isNumber()) {
    bool ints = left.isIntegral() && right.isIntegral();
    int64_t a = ints ? left.asInt() : 0, b = ints ? right.asInt() : 0;
    double x = left.asFloat(), y = right.asFloat();
    int64_t r = 0;
    switch (op) {
      case BinaryOp::kAdd:
        if (!ints) return Value::number(x + y);
        if (__builtin_add_overflow(a, b, &r)) return overflow();
        return Value::integer(r);
      case BinaryOp::kSub:
        if (!ints) return Value::number(x - y);
        if (__builtin_sub_overflow(a, b, &r)) return overflow();
        return Value::integer(r);
      case BinaryOp::kMul:
        if (!ints) return Value::number(x * y);
        if (__builtin_mul_overflow(a, b, &r)) return overflow();
        return Value::integer(r);
      case BinaryOp::kDiv:
        if (y == 0) return absl::InvalidArgumentError("division by zero");
        return Value::number(x / y);
      case BinaryOp::kFloorDiv:
        if (y == 0) return absl::InvalidArgumentError("integer division or modulo by zero");
        if (!ints) return Value::number(floatFloorDiv(x, y));
        if (a == std::numeric_limits<int64_t>::min() && b == -1) return overflow();
        return Value::integer(floorDiv(a, b));
      case BinaryOp::kMod:
        if (y == 0) return absl::InvalidArgumentError("integer division or modulo by zero");
        if (!ints) return Value::number(floatMod(x, y));
        if (b == -1) return Value::integer(0);
        return Value::integer(a - floorDiv(a, b) * b);
      case BinaryOp::kPow: {
        if (ints && b >= 0) {
          int64_t result = 1, base = a, e = b;
          while (e > 0) {
            if (e & 1)
              if (__builtin_mul_overflow(result, base, &result)) return overflow();
            e >>= 1;
            if (e > 0 && __builtin_mul_overflow(base, base, &base)) return overflow();
          }
          return Value::integer(result);
        }
        if (x == 0 && y < 0)
          return absl::InvalidArgumentError("0.0 cannot be raised to a negative power");
        return Value::number(std::pow(x, y));
      }
    }
  }
  switch (op) {
    case BinaryOp::kAdd:
      if (left.isString() && right.isString()) {
        if (left.str().size() + right.str().size() > kMaxOutputBytes) return tooLong();
        return Value::string(left.str() + right.str());
      }
      if (left.isSequenceValue() && right.isSequenceValue() && left.isTuple() == right.isTuple()) {
        if (left.items().size() + right.items().size() > kMaxListItems) return tooLong();
        std::vector<Value> items = left.items();
        items.insert(items.end(), right.items().begin(), right.items().end());
        return left.isTuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
      }
      if (left.isString() || left.isSequenceValue())
        return absl::InvalidArgumentError(cat("can only concatenate ", left.typeName(), " (not \"",
                                              right.typeName(), "\") to ", left.typeName()));
      break;
    case BinaryOp::kMul:
      if ((left.isString() || left.isSequenceValue()) && right.isIntegral())
        return repeat(left, right.asInt());
      if (left.isIntegral() && (right.isString() || right.isSequenceValue()))
        return repeat(right, left.asInt());
      break;
    case BinaryOp::kMod:
      if (left.isString()) return percentFormat(left.str(), right);
      break;
    default:
      break;
  }
  return unsupported(symbol, left, right);
}

absl::StatusOr<Value> negate(const Value &operand) {
  if (operand.isUndefined()) return undefinedError(operand);
  if (operand.isFloat()) return Value::number(-operand.asFloat());
  if (operand.isIntegral()) {
    if (operand.asInt() == std::numeric_limits<int64_t>::min()) return overflow();
    return Value::integer(-operand.asInt());
  }
  return absl::InvalidArgumentError(
      cat("bad operand type for unary -: '", operand.typeName(), "'"));
}

absl::StatusOr<Value> unaryPlus(const Value &operand) {
  if (operand.isUndefined()) return undefinedError(operand);
  if (operand.isFloat()) return operand;
  if (operand.isIntegral()) return Value::integer(operand.asInt());
  return absl::InvalidArgumentError(
      cat("bad operand type for unary +: '", operand.typeName(), "'"));
}

bool valuesEqual(const Value &left, const Value &right) {
  if (left.isNumber() && right.isNumber()) {
    if (left.isIntegral() && right.isIntegral()) return left.asInt() == right.asInt();
    return left.asFloat() == right.asFloat();
  }
  if (left.kind() != right.kind()) return false;
  switch (left.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return left.str() == right.str();
    case Value::Kind::kList: {
      if (left.isTuple() != right.isTuple()) return false;
      const auto &a = left.items();
      const auto &b = right.items();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!valuesEqual(a[i], b[i])) return false;
      return true;
    }
    case Value::Kind::kDict: {
      const DictData &a = left.dictData();
      const DictData &b = right.dictData();
      if (a.size() != b.size()) return false;
      for (const auto &[key, value] : a.entries()) {
        const Value *other = b.find(key);
        if (!other || !valuesEqual(value, *other)) return false;
      }
      return true;
    }
    case Value::Kind::kObject:
      return left.identity() == right.identity();
    default:
      return false;
  }
}

absl::StatusOr<bool> lessThan(const Value &left, const Value &right) {
  return orderValues(CompareOp::kLt, left, right);
}

absl::StatusOr<bool> orderValues(CompareOp op, const Value &left, const Value &right) {
  if (left.isUndefined()) return undefinedError(left);
  if (right.isUndefined()) return undefinedError(right);
  int order = 0;  // -1, 0, 1
  bool ordered = true;
  if (left.isNumber() && right.isNumber()) {
    if (left.isIntegral() && right.isIntegral()) {
      order = left.asInt() < right.asInt() ? -1 : left.asInt() > right.asInt() ? 1 : 0;
    } else {
      double a = left.asFloat(), b = right.asFloat();
      if (std::isnan(a) || std::isnan(b)) return false;
      order = a < b ? -1 : a > b ? 1 : 0;
    }
  } else if (left.isString() && right.isString()) {
    int c = left.str().compare(right.str());
    order = c < 0 ? -1 : c > 0 ? 1 : 0;
  } else if (left.isSequenceValue() && right.isSequenceValue() &&
             left.isTuple() == right.isTuple()) {
    const auto &a = left.items();
    const auto &b = right.items();
    size_t i = 0;
    while (i < a.size() && i < b.size() && valuesEqual(a[i], b[i])) ++i;
    if (i < a.size() && i < b.size()) return orderValues(op, a[i], b[i]);
    order = a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
  } else {
    ordered = false;
  }
  std::string_view symbol;
  switch (op) {
    case CompareOp::kLt:
      symbol = "<";
      if (ordered) return order < 0;
      break;
    case CompareOp::kLe:
      symbol = "<=";
      if (ordered) return order <= 0;
      break;
    case CompareOp::kGt:
      symbol = ">";
      if (ordered) return order > 0;
      break;
    case CompareOp::kGe:
      symbol = ">=";
      if (ordered) return order >= 0;
      break;
    default:
      return absl::InternalError("orderValues: not an ordering");
  }
  return absl::InvalidArgumentError(cat("'", symbol, "' not supported between instances of '",
                                        left.typeName(), "' and '", right.typeName(), "'"));
}

absl::StatusOr<bool> containsValue(const Value &container, const Value &item) {
  switch (container.kind()) {
    case Value::Kind::kString:
      if (!item.isString())
        return absl::InvalidArgumentError(
            cat("'in <string>' requires string as left operand, not ", item.typeName()));
      return container.str().find(item.str()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value &element : container.items())
        if (valuesEqual(element, item)) return true;
      return false;
    case Value::Kind::kDict:
      if (!hashKey(item))
        return absl::InvalidArgumentError(cat("unhashable type: '", item.typeName(), "'"));
      return container.dictData().find(item) != nullptr;
    case Value::Kind::kUndefined:
      return false;
    default:
      if (const IteratorObject *iterator = asIterator(container)) {
        // Python takes items until one equals (the rest stay).
        absl::StatusOr<std::vector<Value>> items = iterator->take();
        if (!items.ok()) return items.status();
        for (const Value &element : *items)
          if (valuesEqual(element, item)) return true;
        return false;
      }
      return absl::InvalidArgumentError(
          cat("argument of type '", container.typeName(), "' is not iterable"));
  }
}

absl::StatusOr<bool> compareOp(CompareOp op, const Value &left, const Value &right) {
  switch (op) {
    case CompareOp::kEq:
      return valuesEqual(left, right);
    case CompareOp::kNe:
      return !valuesEqual(left, right);
    case CompareOp::kIn:
      return containsValue(right, left);
    case CompareOp::kNotIn: {
      absl::StatusOr<bool> in = containsValue(right, left);
      if (!in.ok()) return in.status();
      return !*in;
    }
    default:
      return orderValues(op, left, right);
  }
}

absl::StatusOr<std::vector<Value>> iterate(const Value &value) {
  switch (value.kind()) {
    case Value::Kind::kList:
      return value.items();
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      keys.reserve(value.dictData().size());
      for (const auto &entry : value.dictData().entries()) keys.push_back(entry.first);
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      const std::string &text = value.str();
      std::vector<size_t> offsets = codePointOffsets(text);
      chars.reserve(offsets.size() - 1);
      for (size_t i = 0; i + 1 < offsets.size(); ++i)
        chars.push_back(Value::string(text.substr(offsets[i], offsets[i + 1] - offsets[i])));
      return chars;
    }
    case Value::Kind::kUndefined:
      return std::vector<Value>();
    default:
      if (const IteratorObject *iterator = asIterator(value)) return iterator->take();
      return absl::InvalidArgumentError(cat("'", value.typeName(), "' object is not iterable"));
  }
}

}  // namespace lfm::jinja
