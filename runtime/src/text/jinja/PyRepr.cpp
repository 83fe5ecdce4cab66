#include "text/jinja/PyRepr.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "text/jinja/Limits.h"
#include "text/jinja/Namespace.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {

std::string floatRepr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, result.ptr - buffer);
  std::string out;
  if (!text.empty() && text[0] == '-') {
    out.push_back('-');
    text.remove_prefix(1);
  }
  size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e))
    if (c != '.') digits.push_back(c);
  int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  int point = exponent + 1;  // digits are 0.d1d2... x 10^point
  int count = static_cast<int>(digits.size());
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out += "0.";
      out.append(-point, '0');
      out += digits;
    } else if (point >= count) {
      out += digits;
      out.append(point - count, '0');
      out += ".0";
    } else {
      out += digits.substr(0, point);
      out += ".";
      out += digits.substr(point);
    }
  } else {
    out += digits[0];
    if (count > 1) {
      out += ".";
      out += digits.substr(1);
    }
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp;
  }
  return out;
}

void appendStringRepr(std::string &out, std::string_view text) {
  bool has_single = text.find('\'') != std::string_view::npos;
  bool has_double = text.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  out.push_back(quote);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 1;
    char32_t cp = decodeUtf8At(text, pos, &length);
    if (length == 1 && cp >= 0x80) {
      // Not UTF-8: shown as its byte.
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
      out += buffer;
    } else if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (!isPrintable(cp)) {
      char buffer[16];
      if (cp < 0x100)
        std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
      else if (cp < 0x10000)
        std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
      else
        std::snprintf(buffer, sizeof buffer, "\\U%08x", static_cast<unsigned>(cp));
      out += buffer;
    } else {
      out.append(text.substr(pos, length));
    }
    pos += length;
  }
  out.push_back(quote);
}

namespace {

class ReprWriter {
 public:
  absl::Status write(std::string &out, const Value &value, int depth) {
    if (depth > 2 * kMaxValueDepth)
      return absl::InvalidArgumentError("maximum recursion depth exceeded in repr()");
    if (out.size() > kMaxOutputBytes) return limitError();
    switch (value.kind()) {
      case Value::Kind::kUndefined:
        out += "Undefined";
        return absl::OkStatus();
      case Value::Kind::kNone:
        out += "None";
        return absl::OkStatus();
      case Value::Kind::kBool:
        out += value.asBool() ? "True" : "False";
        return absl::OkStatus();
      case Value::Kind::kInt:
        catTo(&out, value.asInt());
        return absl::OkStatus();
      case Value::Kind::kFloat:
        out += floatRepr(value.asFloat());
        return absl::OkStatus();
      case Value::Kind::kString:
        appendStringRepr(out, value.str());
        return absl::OkStatus();
      case Value::Kind::kList: {
        bool tuple = value.isTuple();
        const char *view = value.listData().view;
        if (view) {
          out += view;
          out.push_back('(');
        }
        out.push_back(tuple ? '(' : '[');
        const std::vector<Value> &items = value.items();
        for (size_t i = 0; i < items.size(); ++i) {
          if (i) out += ", ";
          if (absl::Status st = write(out, items[i], depth + 1); !st.ok()) return st;
        }
        if (tuple && items.size() == 1) out.push_back(',');
        out.push_back(tuple ? ')' : ']');
        if (view) out.push_back(')');
        return absl::OkStatus();
      }
      case Value::Kind::kDict:
        return writeDict(out, value.dictData(), depth);
      case Value::Kind::kObject: {
        if (auto *ns = dynamic_cast<const Namespace *>(value.object())) {
          if (!active_.insert(ns).second) {
            out += "<Namespace {...}>";
            return absl::OkStatus();
          }
          out += "<Namespace ";
          absl::Status st = writeDict(out, ns->attrs(), depth);
          out += ">";
          active_.erase(ns);
          return st;
        }
        out += value.object()->repr();
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

 private:
  static absl::Status limitError() {
    return absl::ResourceExhaustedError("repr() of a value longer than the output limit");
  }

  absl::Status writeDict(std::string &out, const DictData &dict, int depth) {
    out.push_back('{');
    bool first = true;
    for (const auto &[key, item] : dict.entries()) {
      if (!first) out += ", ";
      first = false;
      if (absl::Status st = write(out, key, depth + 1); !st.ok()) return st;
      out += ": ";
      if (absl::Status st = write(out, item, depth + 1); !st.ok()) return st;
    }
    out.push_back('}');
    return absl::OkStatus();
  }

  std::unordered_set<const void *> active_;
};

}  // namespace

absl::StatusOr<std::string> pyRepr(const Value &value) {
  std::string out;
  ReprWriter writer;
  if (absl::Status st = writer.write(out, value, 0); !st.ok()) return st;
  return out;
}

absl::Status appendStr(std::string &out, const Value &value) {
  switch (value.kind()) {
    case Value::Kind::kString:
      out += value.str();
      return absl::OkStatus();
    case Value::Kind::kUndefined:
      return absl::OkStatus();
    default: {
      ReprWriter writer;
      return writer.write(out, value, 0);
    }
  }
}

absl::StatusOr<std::string> pyStr(const Value &value) {
  if (value.isString()) return value.str();
  std::string out;
  if (absl::Status st = appendStr(out, value); !st.ok()) return st;
  return out;
}

}  // namespace lfm::jinja
