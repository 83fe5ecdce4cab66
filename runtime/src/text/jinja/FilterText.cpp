// The filters on text: capitalize, center, escape, format, indent, lower,
// replace, safe, string, title, trim, truncate, upper, wordcount.
#include <algorithm>
#include <cstdio>

#include "text/jinja/Access.h"
#include "text/jinja/Args.h"
#include "text/jinja/Errors.h"
#include "text/jinja/FilterSupport.h"
#include "text/jinja/Interpreter.h"
#include "text/jinja/Limits.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/StrFormat.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

absl::StatusOr<Value> stringFilter(const Value &value, const CallArgs &args, const char *name,
                                   std::string (*transform)(std::string_view)) {
  LFM_FILTER_TRY(bound, bindArgs(name, args, {}));
  (void)bound;
  LFM_FILTER_TRY(text, softStr(value));
  return Value::string(transform(text));
}

std::string jinjaTitle(std::string_view text) {
  // Each run of characters between -, whitespace, (, {, [ and < gets its
  // first character in upper case and the rest in lower case.
  std::string out;
  bool word_start = true;
  for (size_t pos = 0; pos < text.size();) {
    size_t length = 1;
    char32_t cp = decodeUtf8At(text, pos, &length);
    std::string_view piece = text.substr(pos, length);
    pos += length;
    bool separator = isSpace(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
    if (separator) {
      out += piece;
      word_start = true;
    } else if (word_start) {
      out += upper(piece);
      word_start = false;
    } else {
      out += lower(piece);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Value> filterCapitalize(Interpreter &, const Value &value, CallArgs &args) {
  return stringFilter(value, args, "capitalize", capitalize);
}

absl::StatusOr<Value> filterUpper(Interpreter &, const Value &value, CallArgs &args) {
  return stringFilter(value, args, "upper", upper);
}

absl::StatusOr<Value> filterLower(Interpreter &, const Value &value, CallArgs &args) {
  return stringFilter(value, args, "lower", lower);
}

absl::StatusOr<Value> filterTitle(Interpreter &, const Value &value, CallArgs &args) {
  return stringFilter(value, args, "title", jinjaTitle);
}

absl::StatusOr<Value> filterCenter(Interpreter &interpreter, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("center", args, {{"width", Value::integer(80)}}));
  LFM_FILTER_TRY(text, softStr(value));
  CallArgs call;
  call.positional.push_back(bound[0]);
  LFM_FILTER_TRY(method, getAttr(Value::string(text), "center"));
  return interpreter.callValue(method, call);
}

absl::StatusOr<Value> filterEscape(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("escape", args, {}));
  (void)bound;
  LFM_FILTER_TRY(text, pyStr(value.isUndefined() ? Value::string("") : value));
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return Value::string(std::move(out));
}

absl::StatusOr<Value> filterFormat(Interpreter &, const Value &value, CallArgs &args) {
  if (!args.positional.empty() && !args.keyword.empty())
    return templateError(
        "format(): can't handle positional and keyword arguments at the same time");
  LFM_FILTER_TRY(text, softStr(value));
  if (!args.keyword.empty()) {
    DictData mapping;
    for (const auto &[key, item] : args.keyword)
      if (absl::Status st = mapping.set(Value::string(key), item); !st.ok()) return st;
    return percentFormat(text, Value::dict(std::move(mapping)));
  }
  return percentFormat(text, Value::tuple(args.positional));
}

absl::StatusOr<Value> filterIndent(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("indent", args,
                                 {{"width", Value::integer(4)},
                                  {"first", Value::boolean(false)},
                                  {"blank", Value::boolean(false)}}));
  std::string indention;
  if (bound[0].isString()) {
    indention = bound[0].str();
  } else {
    LFM_FILTER_TRY(width, intArg("indent", "width", bound[0]));
    if (width > 1 << 20) return limitError("indent width too large");
    if (width > 0) indention.assign(width, ' ');
  }
  // jinja2 appends "\n" to the value itself, which only a string allows.
  if (value.isUndefined()) return undefinedError(value);
  if (!value.isString())
    return templateError(
        cat("unsupported operand type(s) for +=: '", value.typeName(), "' and 'str'"));
  std::string text = value.str();
  text += "\n";  // so that splitlines() keeps a last empty line
  // str.splitlines() on the text.
  std::vector<std::string> lines;
  {
    size_t start = 0, pos = 0;
    while (pos < text.size()) {
      size_t length = 1;
      char32_t cp = decodeUtf8At(text, pos, &length);
      if (!isLineBreak(cp)) {
        pos += length;
        continue;
      }
      size_t end = pos;
      pos += length;
      if (cp == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
      lines.push_back(text.substr(start, end - start));
      start = pos;
    }
    if (start < text.size()) lines.push_back(text.substr(start));
  }
  std::string out;
  if (bound[2].truthy()) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) out += "\n" + indention;
      out += lines[i];
    }
  } else {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) {
        out += "\n";
        if (!lines[i].empty()) out += indention;
      }
      out += lines[i];
    }
  }
  if (bound[1].truthy()) out = indention + out;
  if (out.size() > kMaxOutputBytes)
    return limitError("indent() result longer than the output limit");
  return Value::string(std::move(out));
}

absl::StatusOr<Value> filterReplace(Interpreter &interpreter, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(
      bound, bindArgs("replace", args,
                      {{"old", std::nullopt}, {"new", std::nullopt}, {"count", Value::none()}}));
  LFM_FILTER_TRY(text, softStr(value));
  LFM_FILTER_TRY(old_text, softStr(bound[0]));
  LFM_FILTER_TRY(new_text, softStr(bound[1]));
  CallArgs call;
  call.positional = {Value::string(old_text), Value::string(new_text)};
  if (!bound[2].isNone()) call.positional.push_back(bound[2]);
  LFM_FILTER_TRY(method, getAttr(Value::string(text), "replace"));
  return interpreter.callValue(method, call);
}

absl::StatusOr<Value> filterSafe(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("safe", args, {}));
  (void)bound;
  LFM_FILTER_TRY(text, softStr(value));
  return Value::string(std::move(text));
}

absl::StatusOr<Value> filterString(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("string", args, {}));
  (void)bound;
  LFM_FILTER_TRY(text, softStr(value));
  return Value::string(std::move(text));
}

absl::StatusOr<Value> filterTrim(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("trim", args, {{"chars", Value::none()}}));
  LFM_FILTER_TRY(text, softStr(value));
  if (bound[0].isNone()) return Value::string(std::string(strip(text, nullptr, true, true)));
  LFM_FILTER_TRY(chars, stringArg("trim", "chars", bound[0]));
  return Value::string(std::string(strip(text, &chars, true, true)));
}

absl::StatusOr<Value> filterTruncate(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("truncate", args,
                                 {{"length", Value::integer(255)},
                                  {"killwords", Value::boolean(false)},
                                  {"end", Value::string("...")},
                                  {"leeway", Value::none()}}));
  LFM_FILTER_TRY(text, softStr(value));
  LFM_FILTER_TRY(length, intArg("truncate", "length", bound[0]));
  LFM_FILTER_TRY(end, stringArg("truncate", "end", bound[2]));
  int64_t leeway = 5;
  if (!bound[3].isNone()) {
    LFM_FILTER_TRY(given, intArg("truncate", "leeway", bound[3]));
    leeway = given;
  }
  int64_t end_length = static_cast<int64_t>(codePointCount(end));
  if (length < end_length) return templateError("expected length >= len(end)");
  if (leeway < 0) return templateError("expected leeway >= 0");
  std::vector<size_t> offsets = codePointOffsets(text);
  int64_t size = static_cast<int64_t>(offsets.size()) - 1;
  if (size <= length + leeway) return Value::string(text);
  std::string head = text.substr(0, offsets[length - end_length]);
  if (bound[1].truthy()) return Value::string(head + end);
  size_t space = head.rfind(' ');
  if (space != std::string::npos) head = head.substr(0, space);
  return Value::string(head + end);
}

absl::StatusOr<Value> filterWordcount(Interpreter &, const Value &value, CallArgs &args) {
  LFM_FILTER_TRY(bound, bindArgs("wordcount", args, {}));
  (void)bound;
  LFM_FILTER_TRY(text, softStr(value));
  int64_t count = 0;
  bool in_word = false;
  for (size_t pos = 0; pos < text.size();) {
    size_t length = 1;
    char32_t cp = decodeUtf8At(text, pos, &length);
    pos += length;
    bool word = cp == '_' || isAlpha(cp) || isDigit(cp);
    if (word && !in_word) ++count;
    in_word = word;
  }
  return Value::integer(count);
}

}  // namespace lfm::jinja
