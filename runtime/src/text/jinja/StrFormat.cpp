#include "text/jinja/StrFormat.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "text/jinja/Access.h"
#include "text/jinja/Errors.h"
#include "text/jinja/Limits.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

absl::Status formatError(std::string_view message) {
  return absl::InvalidArgumentError(av(message));
}

// Pads `text` to `width` code points.
std::string pad(std::string text, size_t width, char align, const std::string &fill) {
  size_t length = codePointCount(text);
  if (length >= width) return text;
  size_t missing = width - length;
  auto fills = [&](size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += fill;
    return out;
  };
  switch (align) {
    case '<':
      return text + fills(missing);
    case '^':
      return fills(missing / 2) + text + fills(missing - missing / 2);
    case '=': {
      size_t sign = (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ')) ? 1 : 0;
      return text.substr(0, sign) + fills(missing) + text.substr(sign);
    }
    default:
      return fills(missing) + text;
  }
}

std::string truncateCodePoints(const std::string &text, size_t count) {
  std::vector<size_t> offsets = codePointOffsets(text);
  if (count + 1 >= offsets.size()) return text;
  return text.substr(0, offsets[count]);
}

absl::StatusOr<int64_t> toInteger(const Value &value, char type) {
  if (value.isIntegral()) return value.asInt();
  if (value.isFloat()) {
    double f = value.asFloat();
    if (!std::isfinite(f)) return formatError("cannot convert float infinity or NaN to integer");
    return static_cast<int64_t>(f);
  }
  if (value.isUndefined()) return undefinedError(value);
  return formatError(
      cat("%", std::string(1, type), " format: a real number is required, not ", value.typeName()));
}

absl::StatusOr<double> toReal(const Value &value, char type) {
  if (value.isNumber()) return value.asFloat();
  if (value.isUndefined()) return undefinedError(value);
  return formatError(
      cat("must be real number, not ", value.typeName(), " (%", std::string(1, type), ")"));
}

// One number through snprintf with printf's flags (which Python's % shares).
std::string cFormat(const std::string &flags, int width, int precision, char type, double value) {
  std::string spec = "%" + flags;
  if (width >= 0) spec += std::to_string(width);
  if (precision >= 0) spec += "." + std::to_string(precision);
  spec.push_back(type);
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, spec.c_str(), value);
  return buffer;
}

std::string cFormatInt(const std::string &flags, int width, int precision, char type,
                       int64_t value) {
  std::string spec = "%" + flags;
  if (width >= 0) spec += std::to_string(width);
  if (precision >= 0) spec += "." + std::to_string(precision);
  spec += "ll";
  spec.push_back(type);
  char buffer[512];
  if (type == 'x' || type == 'X' || type == 'o') {
    // Python writes negative numbers in these bases with a '-' sign.
    bool negative = value < 0;
    uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    std::string unsigned_flags;
    for (char f : flags)
      if (f != '+' && f != ' ') unsigned_flags.push_back(f);
    std::string body_spec = "%" + unsigned_flags;
    if (precision >= 0) body_spec += "." + std::to_string(precision);
    body_spec += "ll";
    body_spec.push_back(type);
    std::snprintf(buffer, sizeof buffer, body_spec.c_str(),
                  static_cast<unsigned long long>(magnitude));
    std::string body = buffer;
    std::string sign = negative                               ? "-"
                       : flags.find('+') != std::string::npos ? "+"
                       : flags.find(' ') != std::string::npos ? " "
                                                              : "";
    std::string out = sign + body;
    if (width > 0 && static_cast<int>(out.size()) < width) {
      bool left = flags.find('-') != std::string::npos;
      bool zero = flags.find('0') != std::string::npos && !left;
      size_t missing = width - out.size();
      if (left)
        out += std::string(missing, ' ');
      else if (zero)
        out = sign + std::string(missing, '0') + body;
      else
        out = std::string(missing, ' ') + out;
    }
    return out;
  }
  std::snprintf(buffer, sizeof buffer, spec.c_str(), static_cast<long long>(value));
  return buffer;
}

}  // namespace

absl::StatusOr<Value> percentFormat(const std::string &format, const Value &args) {
  std::vector<Value> positional;
  const DictData *mapping = nullptr;
  if (args.isTuple()) {
    positional = args.items();
  } else {
    positional.push_back(args);
    if (args.isDict()) mapping = &args.dictData();
  }
  size_t next_arg = 0;
  bool used_mapping = false;
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (++i >= format.size()) return formatError("incomplete format");
    const Value *arg = nullptr;
    Value keyed;
    if (format[i] == '(') {
      size_t close = format.find(')', i);
      if (close == std::string::npos) return formatError("incomplete format key");
      if (!mapping) return formatError("format requires a mapping");
      const Value *found = mapping->find(std::string_view(format).substr(i + 1, close - i - 1));
      if (!found) return formatError(cat("KeyError: '", format.substr(i + 1, close - i - 1), "'"));
      keyed = *found;
      arg = &keyed;
      used_mapping = true;
      i = close + 1;
    }
    std::string flags;
    while (i < format.size() && std::string_view("-+ #0").find(format[i]) != std::string_view::npos)
      flags.push_back(format[i++]);
    auto take = [&]() -> absl::StatusOr<Value> {
      if (next_arg >= positional.size())
        return formatError("not enough arguments for format string");
      return positional[next_arg++];
    };
    int width = -1, precision = -1;
    if (i < format.size() && format[i] == '*') {
      absl::StatusOr<Value> w = take();
      if (!w.ok()) return w.status();
      if (!w->isIntegral()) return formatError("* wants int");
      width = static_cast<int>(w->asInt());
      ++i;
    } else {
      while (i < format.size() && isdigit(static_cast<unsigned char>(format[i]))) {
        width = std::max(width, 0) * 10 + (format[i++] - '0');
        if (width > 100000) return formatError("width too big");
      }
    }
    if (i < format.size() && format[i] == '.') {
      ++i;
      precision = 0;
      if (i < format.size() && format[i] == '*') {
        absl::StatusOr<Value> p = take();
        if (!p.ok()) return p.status();
        if (!p->isIntegral()) return formatError("* wants int");
        precision = static_cast<int>(p->asInt());
        ++i;
      } else {
        while (i < format.size() && isdigit(static_cast<unsigned char>(format[i]))) {
          precision = precision * 10 + (format[i++] - '0');
          if (precision > 100000) return formatError("precision too big");
        }
      }
    }
    while (i < format.size() && (format[i] == 'h' || format[i] == 'l' || format[i] == 'L')) ++i;
    if (i >= format.size()) return formatError("incomplete format");
    char type = format[i];
    if (type == '%') {
      out.push_back('%');
      continue;
    }
    if (!arg) {
      absl::StatusOr<Value> taken = take();
      if (!taken.ok()) return taken.status();
      keyed = *taken;
      arg = &keyed;
    }
    std::string piece;
    switch (type) {
      case 's':
      case 'r':
      case 'a': {
        absl::StatusOr<std::string> text = type == 's' ? pyStr(*arg) : pyRepr(*arg);
        if (!text.ok()) return text.status();
        piece = precision >= 0 ? truncateCodePoints(*text, precision) : *text;
        if (width > 0)
          piece = pad(piece, width, flags.find('-') != std::string::npos ? '<' : '>', " ");
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        absl::StatusOr<int64_t> number = toInteger(*arg, type);
        if (!number.ok()) return number.status();
        piece =
            cFormatInt(flags, width, precision, type == 'i' || type == 'u' ? 'd' : type, *number);
        break;
      }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G': {
        absl::StatusOr<double> number = toReal(*arg, type);
        if (!number.ok()) return number.status();
        piece = cFormat(flags, width, precision, type, *number);
        break;
      }
      case 'c': {
        if (arg->isString() && codePointCount(arg->str()) == 1) {
          piece = arg->str();
        } else if (arg->isIntegral() && arg->asInt() >= 0 && arg->asInt() <= 0x10FFFF) {
          appendUtf8(piece, static_cast<char32_t>(arg->asInt()));
        } else {
          return formatError("%c requires int or char");
        }
        if (width > 0)
          piece = pad(piece, width, flags.find('-') != std::string::npos ? '<' : '>', " ");
        break;
      }
      default:
        return formatError(cat("unsupported format character '", std::string(1, type), "'"));
    }
    out += piece;
    if (out.size() > kMaxOutputBytes)
      return limitError("formatted string longer than the output limit");
  }
  if (!used_mapping && !mapping && next_arg < positional.size())
    return formatError("not all arguments converted during string formatting");
  return Value::string(std::move(out));
}

namespace {

struct Spec {
  std::string fill = " ";
  char align = 0;
  char sign = '-';
  bool alternate = false;
  bool zero = false;
  int width = -1;
  char grouping = 0;
  int precision = -1;
  char type = 0;
};

absl::StatusOr<Spec> parseSpec(std::string_view text) {
  Spec spec;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  // [[fill]align]: fill is one code point.
  if (!text.empty()) {
    size_t length = 1;
    decodeUtf8At(text, 0, &length);
    if (length < text.size() && is_align(text[length])) {
      spec.fill = std::string(text.substr(0, length));
      spec.align = text[length];
      i = length + 1;
    } else if (is_align(text[0])) {
      spec.align = text[0];
      i = 1;
    }
  }
  if (i < text.size() && (text[i] == '+' || text[i] == '-' || text[i] == ' '))
    spec.sign = text[i++];
  if (i < text.size() && text[i] == '#') {
    spec.alternate = true;
    ++i;
  }
  if (i < text.size() && text[i] == '0') {
    spec.zero = true;
    ++i;
  }
  while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) {
    spec.width = std::max(spec.width, 0) * 10 + (text[i++] - '0');
    if (spec.width > 100000) return formatError("width too big");
  }
  if (i < text.size() && (text[i] == ',' || text[i] == '_')) spec.grouping = text[i++];
  if (i < text.size() && text[i] == '.') {
    ++i;
    spec.precision = 0;
    if (i >= text.size() || !isdigit(static_cast<unsigned char>(text[i])))
      return formatError("format specifier missing precision");
    while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) {
      spec.precision = spec.precision * 10 + (text[i++] - '0');
      if (spec.precision > 100000) return formatError("precision too big");
    }
  }
  if (i < text.size()) spec.type = text[i++];
  if (i != text.size()) return formatError(cat("invalid format specifier '", text, "'"));
  return spec;
}

std::string group(const std::string &digits, char separator) {
  std::string out;
  int count = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    if (count && count % 3 == 0) out.push_back(separator);
    out.push_back(digits[i]);
    ++count;
  }
  return std::string(out.rbegin(), out.rend());
}

absl::StatusOr<std::string> applySpec(const Value &value, std::string_view spec_text) {
  if (spec_text.empty()) return pyStr(value);
  absl::StatusOr<Spec> parsed = parseSpec(spec_text);
  if (!parsed.ok()) return parsed.status();
  Spec spec = *parsed;
  std::string body;
  char default_align = '<';
  if (value.isString() || (!value.isNumber() && spec.type == 0) || spec.type == 's') {
    if (!value.isString() && spec.type == 's' && !value.isNumber())
      return formatError("unsupported format for a non-string");
    absl::StatusOr<std::string> text = pyStr(value);
    if (!text.ok()) return text.status();
    if (value.isNumber() && spec.type == 's')
      return formatError("Unknown format code 's' for a number");
    body = spec.precision >= 0 ? truncateCodePoints(*text, spec.precision) : *text;
  } else if (value.isNumber()) {
    default_align = '>';
    char type = spec.type;
    std::string sign;
    bool integral =
        value.isIntegral() && (type == 0 || type == 'd' || type == 'x' || type == 'X' ||
                               type == 'o' || type == 'b' || type == 'n' || type == 'c');
    if (integral) {
      int64_t n = value.asInt();
      bool negative = n < 0;
      uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
      std::string digits;
      int base = type == 'x' || type == 'X' ? 16 : type == 'o' ? 8 : type == 'b' ? 2 : 10;
      if (type == 'c') {
        appendUtf8(body, static_cast<char32_t>(n));
      } else {
        do {
          digits.insert(digits.begin(), "0123456789abcdef"[magnitude % base]);
          magnitude /= base;
        } while (magnitude);
        if (type == 'X')
          for (char &ch : digits) ch = static_cast<char>(toupper(ch));
        if (spec.grouping) digits = group(digits, spec.grouping);
        if (spec.alternate && base != 10)
          digits = std::string(base == 16  ? (type == 'X' ? "0X" : "0x")
                               : base == 8 ? "0o"
                                           : "0b") +
                   digits;
        sign = negative ? "-" : spec.sign == '+' ? "+" : spec.sign == ' ' ? " " : "";
        body = sign + digits;
      }
    } else {
      double x = value.asFloat();
      if (type == 0 && spec.precision < 0) {
        absl::StatusOr<std::string> text =
            pyStr(value.isIntegral() ? Value::integer(value.asInt()) : value);
        if (!text.ok()) return text.status();
        body = *text;
        if (spec.sign == '+' && x >= 0) body = "+" + body;
        if (spec.sign == ' ' && x >= 0) body = " " + body;
      } else {
        char c_type = type == 0 ? 'g' : type == 'n' ? 'g' : type == '%' ? 'f' : type;
        if (std::string_view("eEfFgG").find(c_type) == std::string_view::npos)
          return formatError(cat("Unknown format code '", std::string(1, type), "' for a number"));
        if (type == '%') x *= 100;
        std::string flags;
        if (spec.sign == '+') flags += "+";
        if (spec.sign == ' ') flags += " ";
        if (spec.alternate) flags += "#";
        body = cFormat(flags, -1, spec.precision < 0 ? 6 : spec.precision, c_type, x);
        if (spec.grouping) {
          size_t start =
              (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
          size_t end = start;
          while (end < body.size() && isdigit(static_cast<unsigned char>(body[end]))) ++end;
          body = body.substr(0, start) + group(body.substr(start, end - start), spec.grouping) +
                 body.substr(end);
        }
        if (type == '%') body += "%";
      }
    }
  } else {
    absl::StatusOr<std::string> text = pyStr(value);
    if (!text.ok()) return text.status();
    body = *text;
  }
  char align = spec.align ? spec.align : (spec.zero && value.isNumber() ? '=' : default_align);
  std::string fill = spec.align ? spec.fill : (spec.zero && value.isNumber() ? "0" : " ");
  if (spec.width > 0) body = pad(body, spec.width, align, fill);
  return body;
}

}  // namespace

absl::StatusOr<Value> strFormat(const std::string &format, const CallArgs &args) {
  std::string out;
  size_t auto_index = 0;
  bool used_auto = false, used_manual = false;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      return formatError("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    size_t close = format.find('}', i);
    if (close == std::string::npos) return formatError("Single '{' encountered in format string");
    std::string_view field = std::string_view(format).substr(i + 1, close - i - 1);
    if (field.find('{') != std::string_view::npos)
      return formatError("nested replacement fields are not supported in str.format()");
    i = close;
    std::string_view spec;
    if (size_t colon = field.find(':'); colon != std::string_view::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    char conversion = 0;
    if (size_t bang = field.find('!'); bang != std::string_view::npos) {
      if (bang + 2 != field.size()) return formatError("expected ':' after conversion specifier");
      conversion = field[bang + 1];
      field = field.substr(0, bang);
    }
    size_t name_end = 0;
    while (name_end < field.size() && field[name_end] != '.' && field[name_end] != '[') ++name_end;
    std::string_view name = field.substr(0, name_end);
    Value value;
    if (name.empty() || std::all_of(name.begin(), name.end(), [](char ch) {
          return isdigit(static_cast<unsigned char>(ch));
        })) {
      size_t index;
      if (name.empty()) {
        if (used_manual)
          return formatError(
              "cannot switch from manual field specification to automatic field numbering");
        used_auto = true;
        index = auto_index++;
      } else {
        if (used_auto)
          return formatError(
              "cannot switch from automatic field numbering to manual field specification");
        used_manual = true;
        index = std::stoul(std::string(name));
      }
      if (index >= args.positional.size())
        return formatError(
            cat("Replacement index ", index, " out of range for positional args tuple"));
      value = args.positional[index];
    } else {
      bool found = false;
      for (const auto &[key, kw] : args.keyword)
        if (key == name) {
          value = kw;
          found = true;
        }
      if (!found) return formatError(cat("KeyError: '", name, "'"));
    }
    // .attr and [key] lookups, through the sandbox's getattr.
    for (size_t p = name_end; p < field.size();) {
      if (field[p] == '.') {
        size_t end = p + 1;
        while (end < field.size() && field[end] != '.' && field[end] != '[') ++end;
        absl::StatusOr<Value> next = getAttr(value, field.substr(p + 1, end - p - 1));
        if (!next.ok()) return next.status();
        value = *next;
        p = end;
      } else {
        size_t end = field.find(']', p);
        if (end == std::string_view::npos) return formatError("Missing ']' in format string");
        std::string_view key = field.substr(p + 1, end - p - 1);
        Value key_value = Value::string(std::string(key));
        if (!key.empty() && std::all_of(key.begin(), key.end(), [](char ch) {
              return isdigit(static_cast<unsigned char>(ch));
            }))
          key_value = Value::integer(std::stoll(std::string(key)));
        absl::StatusOr<Value> next = getItem(value, key_value);
        if (!next.ok()) return next.status();
        value = *next;
        p = end + 1;
      }
    }
    if (conversion == 'r' || conversion == 'a') {
      absl::StatusOr<std::string> text = pyRepr(value);
      if (!text.ok()) return text.status();
      value = Value::string(*text);
    } else if (conversion == 's') {
      absl::StatusOr<std::string> text = pyStr(value);
      if (!text.ok()) return text.status();
      value = Value::string(*text);
    } else if (conversion != 0) {
      return formatError(cat("Unknown conversion specifier ", std::string(1, conversion)));
    }
    absl::StatusOr<std::string> piece = applySpec(value, spec);
    if (!piece.ok()) return piece.status();
    out += *piece;
    if (out.size() > kMaxOutputBytes)
      return limitError("formatted string longer than the output limit");
  }
  return Value::string(std::move(out));
}

}  // namespace lfm::jinja
