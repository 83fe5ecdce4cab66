#include "text/jinja/PyJson.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "text/jinja/Limits.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

void appendJsonString(std::string &out, std::string_view text, bool ensure_ascii) {
  out.push_back('"');
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 1;
    char32_t cp = decodeUtf8At(text, pos, &length);
    char buffer[16];
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (cp < 0x20) {
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
          out += buffer;
        } else if (ensure_ascii && cp >= 0x80) {
          if (cp >= 0x10000) {
            char32_t v = cp - 0x10000;
            std::snprintf(buffer, sizeof buffer, "\\u%04x\\u%04x",
                          static_cast<unsigned>(0xD800 + (v >> 10)),
                          static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
          } else {
            std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
          }
          out += buffer;
        } else {
          out.append(text.substr(pos, length));
        }
    }
    pos += length;
  }
  out.push_back('"');
}

std::string floatJson(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return floatRepr(value);
}

class Dumper {
 public:
  explicit Dumper(const DumpOptions &options) : options_(options) {
    item_sep_ = options.item_separator.value_or(options.indent ? "," : ", ");
    key_sep_ = options.key_separator.value_or(": ");
  }

  absl::Status dump(std::string &out, const Value &value, int level) {
    if (level > 2 * kMaxValueDepth)
      return absl::InvalidArgumentError("maximum recursion depth exceeded in tojson");
    if (out.size() > kMaxOutputBytes)
      return absl::ResourceExhaustedError("tojson output longer than the output limit");
    switch (value.kind()) {
      case Value::Kind::kNone:
        out += "null";
        return absl::OkStatus();
      case Value::Kind::kBool:
        out += value.asBool() ? "true" : "false";
        return absl::OkStatus();
      case Value::Kind::kInt:
        catTo(&out, value.asInt());
        return absl::OkStatus();
      case Value::Kind::kFloat:
        out += floatJson(value.asFloat());
        return absl::OkStatus();
      case Value::Kind::kString:
        appendJsonString(out, value.str(), options_.ensure_ascii);
        return absl::OkStatus();
      case Value::Kind::kList: {
        const std::vector<Value> &items = value.items();
        if (items.empty()) {
          out += "[]";
          return absl::OkStatus();
        }
        out.push_back('[');
        for (size_t i = 0; i < items.size(); ++i) {
          if (i) out += item_sep_;
          newline(out, level + 1);
          if (absl::Status st = dump(out, items[i], level + 1); !st.ok()) return st;
        }
        newline(out, level);
        out.push_back(']');
        return absl::OkStatus();
      }
      case Value::Kind::kDict:
        return dumpDict(out, value.dictData(), level);
      default:
        return absl::InvalidArgumentError(
            cat("Object of type ", value.typeName(), " is not JSON serializable"));
    }
  }

 private:
  void newline(std::string &out, int level) {
    if (!options_.indent) return;
    out.push_back('\n');
    for (int i = 0; i < level; ++i) out += *options_.indent;
  }

  static absl::StatusOr<std::string> keyText(const Value &key) {
    switch (key.kind()) {
      case Value::Kind::kString:
        return key.str();
      case Value::Kind::kNone:
        return std::string("null");
      case Value::Kind::kBool:
        return std::string(key.asBool() ? "true" : "false");
      case Value::Kind::kInt:
        return cat(key.asInt());
      case Value::Kind::kFloat:
        return floatJson(key.asFloat());
      default:
        return absl::InvalidArgumentError(
            cat("keys must be str, int, float, bool or None, not ", key.typeName()));
    }
  }

  absl::Status dumpDict(std::string &out, const DictData &dict, int level) {
    if (dict.size() == 0) {
      out += "{}";
      return absl::OkStatus();
    }
    std::vector<const std::pair<Value, Value> *> entries;
    for (const auto &entry : dict.entries()) entries.push_back(&entry);
    if (options_.sort_keys) {
      // Python sorts the keys themselves: all strings, or all numbers.
      bool strings =
          std::all_of(entries.begin(), entries.end(), [](auto *e) { return e->first.isString(); });
      bool numbers =
          std::all_of(entries.begin(), entries.end(), [](auto *e) { return e->first.isNumber(); });
      if (!strings && !numbers)
        return absl::InvalidArgumentError("tojson: sort_keys needs keys of one comparable type");
      std::stable_sort(entries.begin(), entries.end(), [&](auto *a, auto *b) {
        if (strings) return a->first.str() < b->first.str();
        return a->first.asFloat() < b->first.asFloat();
      });
    }
    out.push_back('{');
    bool first = true;
    for (const auto *entry : entries) {
      if (!first) out += item_sep_;
      first = false;
      newline(out, level + 1);
      absl::StatusOr<std::string> key = keyText(entry->first);
      if (!key.ok()) return key.status();
      appendJsonString(out, *key, options_.ensure_ascii);
      out += key_sep_;
      if (absl::Status st = dump(out, entry->second, level + 1); !st.ok()) return st;
    }
    newline(out, level);
    out.push_back('}');
    return absl::OkStatus();
  }

  const DumpOptions &options_;
  std::string item_sep_;
  std::string key_sep_;
};

}  // namespace

absl::StatusOr<std::string> jsonDumps(const Value &value, const DumpOptions &options) {
  std::string out;
  Dumper dumper(options);
  if (absl::Status st = dumper.dump(out, value, 0); !st.ok()) return st;
  return out;
}

}  // namespace lfm::jinja
