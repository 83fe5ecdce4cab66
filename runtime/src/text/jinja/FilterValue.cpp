// The filters on single values: abs, attr, default, float, int, round,
// tojson (transformers' json.dumps, not jinja2's HTML-safe one).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "text/jinja/Access.h"
#include "text/jinja/Args.h"
#include "text/jinja/Errors.h"
#include "text/jinja/FilterSupport.h"
#include "text/jinja/Methods.h"
#include "text/jinja/Operators.h"
#include "text/jinja/PyJson.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

// Python's float(str): optional whitespace, sign, digits with single
// underscores, inf/nan.
std::optional<double> parseFloat(std::string_view text) {
  std::string_view s = strip(text, nullptr, true, true);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 >= s.size() || !isdigit(static_cast<unsigned char>(s[i - 1])) ||
          !isdigit(static_cast<unsigned char>(s[i + 1])))
        return std::nullopt;
      continue;
    }
    clean.push_back(s[i]);
  }
  if (clean.empty()) return std::nullopt;
  std::string lowered = lower(clean);
  size_t sign = (lowered[0] == '+' || lowered[0] == '-') ? 1 : 0;
  std::string_view body = std::string_view(lowered).substr(sign);
  double result;
  if (body == "inf" || body == "infinity") {
    result = INFINITY;
  } else if (body == "nan") {
    result = NAN;
  } else {
    for (char c : body)
      if (!(isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' || c == '-'))
        return std::nullopt;
    auto parsed = std::from_chars(body.data(), body.data() + body.size(), result);
    if (parsed.ec != std::errc() || parsed.ptr != body.data() + body.size()) {
      if (parsed.ec == std::errc::result_out_of_range && parsed.ptr == body.data() + body.size()) {
        result = std::strtod(std::string(body).c_str(), nullptr);
      } else {
        return std::nullopt;
      }
    }
  }
  return lowered[0] == '-' ? -result : result;
}

// Python's round(x, n) for a float: the nearest value with n decimals,
// ties to even on the exact binary value.
double pyRound(double x, int64_t digits) {
  if (!std::isfinite(x)) return x;
  if (digits >= 0) {
    if (digits > 300) return x;
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, "%.*f", static_cast<int>(digits), x);
    double result = 0;
    std::from_chars(buffer, buffer + std::strlen(buffer), result);
    return result;
  }
  double scale = std::pow(10.0, static_cast<double>(-digits));
  return std::nearbyint(x / scale) * scale;
}

}  // namespace

absl::StatusOr<Value> filterAbs(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("abs", args, {}));
  (void)bound;
  if (value.isFloat()) return Value::number(std::fabs(value.asFloat()));
  if (value.isIntegral()) {
    if (value.asInt() < 0) return negate(value);
    return Value::integer(value.asInt());
  }
  return templateError(cat("bad operand type for abs(): '", value.typeName(), "'"));
}

absl::StatusOr<Value> filterAttr(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("attr", args, {{"name", std::nullopt}}));
  LFM_FILTER_TRY(name, pyStr(bound[0]));
  if (value.isUndefined()) return undefinedError(value);
  if (value.isObject()) return value.object()->getAttr(name);
  if (std::optional<Value> method = methodAttr(value, name)) return *method;
  return Value::undefined(cat("'", objectTypeRepr(value), "' has no attribute '", name, "'"));
}

absl::StatusOr<Value> filterDefault(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(
      bound, bindArgs("default", args,
                      {{"default_value", Value::string("")}, {"boolean", Value::boolean(false)}}));
  if (value.isUndefined() || (bound[1].truthy() && !value.truthy())) return bound[0];
  return value;
}

absl::StatusOr<Value> filterFloat(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("float", args, {{"default", Value::number(0.0)}}));
  if (value.isUndefined()) return undefinedError(value);
  if (value.isNumber()) return Value::number(value.asFloat());
  if (value.isString())
    if (std::optional<double> parsed = parseFloat(value.str())) return Value::number(*parsed);
  return bound[0];
}

absl::StatusOr<Value> filterInt(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(
      bound, bindArgs("int", args, {{"default", Value::integer(0)}, {"base", Value::integer(10)}}));
  if (value.isUndefined()) return undefinedError(value);
  if (value.isIntegral()) return Value::integer(value.asInt());
  auto from_float = [&](double f) -> absl::StatusOr<Value> {
    if (std::isnan(f)) return bound[0];
    if (std::isinf(f)) return templateError("cannot convert float infinity to integer");
    if (std::fabs(f) >= 9.2e18) return templateError("integer overflow (beyond 64 bits)");
    return Value::integer(static_cast<int64_t>(f));
  };
  if (value.isFloat()) return from_float(value.asFloat());
  if (value.isString()) {
    LFM_FILTER_TRY(base, intArg("int", "base", bound[1]));
    std::string_view s = strip(value.str(), nullptr, true, true);
    std::string clean;
    bool valid = !s.empty();
    for (size_t i = 0; i < s.size() && valid; ++i) {
      if (s[i] == '_') {
        valid = i > 0 && i + 1 < s.size() && s[i - 1] != '_' && s[i + 1] != '_' &&
                s[i - 1] != '+' && s[i - 1] != '-';
        continue;
      }
      clean.push_back(s[i]);
    }
    if (valid && !clean.empty()) {
      size_t start = (clean[0] == '+' || clean[0] == '-') ? 1 : 0;
      // int(s, base) accepts the base's prefix; base 0 reads it.
      if (clean.size() > start + 1 && clean[start] == '0') {
        char prefix = static_cast<char>(clean[start + 1] | 0x20);
        int prefix_base = prefix == 'x' ? 16 : prefix == 'o' ? 8 : prefix == 'b' ? 2 : 0;
        if (prefix_base && (base == 0 || base == prefix_base)) {
          base = prefix_base;
          start += 2;
        }
      }
      if (base == 0) base = 10;
      int64_t parsed = 0;
      auto result = std::from_chars(clean.data() + start, clean.data() + clean.size(), parsed,
                                    static_cast<int>(base >= 2 && base <= 36 ? base : 10));
      if (start < clean.size() && result.ec == std::errc() &&
          result.ptr == clean.data() + clean.size())
        return Value::integer(clean[0] == '-' ? -parsed : parsed);
      if (result.ec == std::errc::result_out_of_range)
        return templateError("integer overflow (beyond 64 bits)");
    }
    if (std::optional<double> parsed = parseFloat(value.str())) return from_float(*parsed);
  }
  return bound[0];
}

absl::StatusOr<Value> filterRound(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound,
                 bindArgs("round", args,
                          {{"precision", Value::integer(0)}, {"method", Value::string("common")}}));
  LFM_FILTER_TRY(precision, intArg("round", "precision", bound[0]));
  LFM_FILTER_TRY(method, stringArg("round", "method", bound[1]));
  if (method != "common" && method != "ceil" && method != "floor")
    return templateError("method must be common, ceil or floor");
  if (value.isUndefined()) return undefinedError(value);
  if (!value.isNumber())
    return templateError(cat("type ", value.typeName(), " doesn't define __round__ method"));
  if (method == "common") {
    if (value.isIntegral()) {
      if (precision >= 0) return Value::integer(value.asInt());
      return Value::integer(
          static_cast<int64_t>(pyRound(static_cast<double>(value.asInt()), precision)));
    }
    return Value::number(pyRound(value.asFloat(), precision));
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double scaled = value.asFloat() * scale;
  return Value::number((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

absl::StatusOr<Value> filterToJson(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("tojson", args,
                                 {{"ensure_ascii", Value::boolean(false)},
                                  {"indent", Value::none()},
                                  {"separators", Value::none()},
                                  {"sort_keys", Value::boolean(false)}}));
  DumpOptions options;
  options.ensure_ascii = bound[0].truthy();
  options.sort_keys = bound[3].truthy();
  const Value &indent = bound[1];
  if (indent.isString()) {
    options.indent = indent.str();
  } else if (indent.isIntegral()) {
    if (indent.asInt() > 1 << 16) return limitError("tojson indent too large");
    options.indent = std::string(std::max<int64_t>(indent.asInt(), 0), ' ');
  } else if (!indent.isNone()) {
    return templateError(cat("tojson: indent must be an int or a string, not ", indent.typeName()));
  }
  const Value &separators = bound[2];
  if (!separators.isNone()) {
    if (!separators.isSequenceValue() || separators.items().size() != 2 ||
        !separators.items()[0].isString() || !separators.items()[1].isString())
      return templateError("tojson: separators must be a pair of strings");
    options.item_separator = separators.items()[0].str();
    options.key_separator = separators.items()[1].str();
  }
  LFM_FILTER_TRY(text, jsonDumps(value, options));
  return Value::string(std::move(text));
}

}  // namespace lfm::jinja
