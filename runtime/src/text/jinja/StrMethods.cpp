// Python's str methods for templates: split, rsplit, strip, lstrip, rstrip,
// startswith, endswith, find, rfind, index, rindex, count, format, upper,
// lower, title, capitalize, swapcase, casefold, replace, join, splitlines,
// removeprefix, removesuffix, partition, rpartition, ljust, rjust, center,
// zfill and the is...() checks. Indexes count code points.
#include "text/jinja/StrMethods.h"

#include <algorithm>

#include "text/jinja/Args.h"
#include "text/jinja/Errors.h"
#include "text/jinja/Limits.h"
#include "text/jinja/Operators.h"
#include "text/jinja/StrFormat.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

Value strings(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (std::string &part : parts) items.push_back(Value::string(std::move(part)));
  return Value::list(std::move(items));
}

// Python's str.split() / rsplit() with no separator: runs of whitespace.
std::vector<std::string> splitWhitespace(const std::string &text, int64_t max_split,
                                         bool from_right) {
  std::vector<std::pair<size_t, size_t>> words;  // byte ranges
  std::vector<size_t> offsets = codePointOffsets(text);
  size_t n = offsets.size() - 1;
  auto space = [&](size_t i) {
    size_t length = 1;
    return isSpace(decodeUtf8At(text, offsets[i], &length));
  };
  std::vector<std::string> out;
  if (!from_right) {
    size_t i = 0;
    while (i < n) {
      while (i < n && space(i)) ++i;
      if (i >= n) break;
      if (max_split >= 0 && static_cast<int64_t>(out.size()) == max_split) {
        size_t end = n;
        while (end > i && space(end - 1)) --end;
        out.push_back(text.substr(offsets[i], offsets[end] - offsets[i]));
        break;
      }
      size_t j = i;
      while (j < n && !space(j)) ++j;
      out.push_back(text.substr(offsets[i], offsets[j] - offsets[i]));
      i = j;
    }
    return out;
  }
  size_t i = n;
  while (i > 0) {
    while (i > 0 && space(i - 1)) --i;
    if (i == 0) break;
    if (max_split >= 0 && static_cast<int64_t>(out.size()) == max_split) {
      size_t begin = 0;
      while (begin < i && space(begin)) ++begin;
      out.push_back(text.substr(offsets[begin], offsets[i] - offsets[begin]));
      break;
    }
    size_t j = i;
    while (j > 0 && !space(j - 1)) --j;
    out.push_back(text.substr(offsets[j], offsets[i] - offsets[j]));
    i = j;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> splitOn(const std::string &text, const std::string &sep, int64_t max_split,
                                 bool from_right) {
  std::vector<std::string> out;
  if (!from_right) {
    size_t pos = 0;
    while (max_split < 0 || static_cast<int64_t>(out.size()) < max_split) {
      size_t found = text.find(sep, pos);
      if (found == std::string::npos) break;
      out.push_back(text.substr(pos, found - pos));
      pos = found + sep.size();
    }
    out.push_back(text.substr(pos));
    return out;
  }
  size_t end = text.size();
  int64_t splits = 0;
  while (max_split < 0 || splits < max_split) {
    if (end < sep.size()) break;
    size_t found = text.rfind(sep, end - sep.size());
    if (found == std::string::npos) break;
    out.push_back(text.substr(found + sep.size(), end - found - sep.size()));
    end = found;
    ++splits;
  }
  out.push_back(text.substr(0, end));
  std::reverse(out.begin(), out.end());
  return out;
}

absl::StatusOr<Value> split(const Value &self, const CallArgs &args, bool from_right) {
  const char *name = from_right ? "rsplit" : "split";
  absl::StatusOr<std::vector<Value>> bound =
      bindArgs(name, args, {{"sep", Value::none()}, {"maxsplit", Value::integer(-1)}});
  if (!bound.ok()) return bound.status();
  absl::StatusOr<int64_t> max_split = intArg(name, "maxsplit", (*bound)[1]);
  if (!max_split.ok()) return max_split.status();
  const Value &sep = (*bound)[0];
  if (sep.isNone()) return strings(splitWhitespace(self.str(), *max_split, from_right));
  absl::StatusOr<std::string> text = stringArg(name, "sep", sep);
  if (!text.ok()) return text.status();
  if (text->empty()) return absl::InvalidArgumentError("empty separator");
  return strings(splitOn(self.str(), *text, *max_split, from_right));
}

absl::StatusOr<Value> stripMethod(const Value &self, const CallArgs &args, const char *name,
                                  bool left, bool right) {
  absl::StatusOr<std::vector<Value>> bound = bindArgs(name, args, {{"chars", Value::none()}});
  if (!bound.ok()) return bound.status();
  const Value &chars = (*bound)[0];
  if (chars.isNone()) return Value::string(std::string(strip(self.str(), nullptr, left, right)));
  absl::StatusOr<std::string> set = stringArg(name, "chars", chars);
  if (!set.ok()) return set.status();
  return Value::string(std::string(strip(self.str(), &*set, left, right)));
}

// The byte range of self[start:end] (code point indexes, Python's rules).
absl::StatusOr<std::pair<size_t, size_t>> window(const std::string &text, const Value &start,
                                                 const Value &end) {
  std::vector<size_t> offsets = codePointOffsets(text);
  int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  auto clamp = [&](const Value &value, int64_t fallback) -> absl::StatusOr<int64_t> {
    if (value.isNone()) return fallback;
    if (!value.isIntegral())
      return absl::InvalidArgumentError("slice indices must be integers or None");
    int64_t index = value.asInt();
    if (index < 0) index = std::max<int64_t>(0, index + n);
    return std::min(index, n);
  };
  absl::StatusOr<int64_t> a = clamp(start, 0);
  absl::StatusOr<int64_t> b = clamp(end, n);
  if (!a.ok()) return a.status();
  if (!b.ok()) return b.status();
  if (*b < *a) return std::pair<size_t, size_t>(offsets[*a], offsets[*a]);
  return std::pair<size_t, size_t>(offsets[*a], offsets[*b]);
}

absl::StatusOr<Value> affix(const Value &self, const CallArgs &args, const char *name,
                            bool prefix) {
  absl::StatusOr<std::vector<Value>> bound = bindArgs(
      name, args, {{"affix", std::nullopt}, {"start", Value::none()}, {"end", Value::none()}});
  if (!bound.ok()) return bound.status();
  absl::StatusOr<std::pair<size_t, size_t>> range = window(self.str(), (*bound)[1], (*bound)[2]);
  if (!range.ok()) return range.status();
  std::string_view text =
      std::string_view(self.str()).substr(range->first, range->second - range->first);
  std::vector<Value> candidates;
  const Value &affixes = (*bound)[0];
  if (affixes.isTuple()) {
    candidates = affixes.items();
  } else {
    candidates.push_back(affixes);
  }
  for (const Value &candidate : candidates) {
    if (!candidate.isString())
      return absl::InvalidArgumentError(
          cat(name, " first arg must be str or a tuple of str, not ", candidate.typeName()));
    const std::string &s = candidate.str();
    if (s.size() <= text.size() &&
        (prefix ? text.substr(0, s.size()) == s : text.substr(text.size() - s.size()) == s))
      return Value::boolean(true);
  }
  return Value::boolean(false);
}

absl::StatusOr<Value> findMethod(const Value &self, const CallArgs &args, const char *name,
                                 bool from_right, bool raise) {
  absl::StatusOr<std::vector<Value>> bound = bindArgs(
      name, args, {{"sub", std::nullopt}, {"start", Value::none()}, {"end", Value::none()}});
  if (!bound.ok()) return bound.status();
  absl::StatusOr<std::string> sub = stringArg(name, "sub", (*bound)[0]);
  if (!sub.ok()) return sub.status();
  absl::StatusOr<std::pair<size_t, size_t>> range = window(self.str(), (*bound)[1], (*bound)[2]);
  if (!range.ok()) return range.status();
  std::string_view text =
      std::string_view(self.str()).substr(range->first, range->second - range->first);
  size_t found = from_right ? text.rfind(*sub) : text.find(*sub);
  if (found == std::string_view::npos) {
    if (raise) return absl::InvalidArgumentError("substring not found");
    return Value::integer(-1);
  }
  return Value::integer(static_cast<int64_t>(
      codePointCount(std::string_view(self.str()).substr(0, range->first + found))));
}

absl::StatusOr<Value> noArgs(const char *name, const CallArgs &args) {
  if (!args.positional.empty() || !args.keyword.empty())
    return absl::InvalidArgumentError(cat(name, "() takes no arguments"));
  return Value();
}

template <class Pred>
absl::StatusOr<Value> allChars(const Value &self, const CallArgs &args, const char *name,
                               Pred pred) {
  if (absl::StatusOr<Value> st = noArgs(name, args); !st.ok()) return st.status();
  const std::string &text = self.str();
  if (text.empty()) return Value::boolean(false);
  for (size_t pos = 0; pos < text.size();) {
    size_t length = 1;
    if (!pred(decodeUtf8At(text, pos, &length))) return Value::boolean(false);
    pos += length;
  }
  return Value::boolean(true);
}

// isupper()/islower(): some cased character, none of the other case.
absl::StatusOr<Value> caseCheck(const Value &self, const CallArgs &args, const char *name,
                                bool upper) {
  if (absl::StatusOr<Value> st = noArgs(name, args); !st.ok()) return st.status();
  bool cased = false;
  const std::string &text = self.str();
  for (size_t pos = 0; pos < text.size();) {
    size_t length = 1;
    char32_t cp = decodeUtf8At(text, pos, &length);
    pos += length;
    if (upper ? isLowerCase(cp) : isUpperCase(cp)) return Value::boolean(false);
    if (upper ? isUpperCase(cp) : isLowerCase(cp)) cased = true;
  }
  return Value::boolean(cased);
}

absl::StatusOr<Value> justify(const Value &self, const CallArgs &args, const char *name,
                              char align) {
  absl::StatusOr<std::vector<Value>> bound =
      bindArgs(name, args, {{"width", std::nullopt}, {"fillchar", Value::string(" ")}});
  if (!bound.ok()) return bound.status();
  absl::StatusOr<int64_t> width = intArg(name, "width", (*bound)[0]);
  if (!width.ok()) return width.status();
  absl::StatusOr<std::string> fill = stringArg(name, "fillchar", (*bound)[1]);
  if (!fill.ok()) return fill.status();
  if (codePointCount(*fill) != 1)
    return absl::InvalidArgumentError("The fill character must be exactly one character long");
  if (*width > static_cast<int64_t>(kMaxOutputBytes))
    return limitError("width larger than the output limit");
  int64_t length = static_cast<int64_t>(codePointCount(self.str()));
  if (*width <= length) return self;
  int64_t missing = *width - length;
  int64_t left = align == '<' ? 0 : align == '>' ? missing : missing / 2 + (missing & *width & 1);
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += *fill;
  out += self.str();
  for (int64_t i = left; i < missing; ++i) out += *fill;
  return Value::string(std::move(out));
}

}  // namespace

bool isStrMethod(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "split",     "rsplit",     "strip",     "lstrip",     "rstrip",       "startswith",
      "endswith",  "find",       "rfind",     "index",      "rindex",       "format",
      "upper",     "lower",      "title",     "capitalize", "swapcase",     "casefold",
      "replace",   "count",      "join",      "splitlines", "removeprefix", "removesuffix",
      "partition", "rpartition", "ljust",     "rjust",      "center",       "zfill",
      "isdigit",   "isdecimal",  "isnumeric", "isalpha",    "isalnum",      "isspace",
      "isupper",   "islower"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

absl::StatusOr<Value> callStrMethod(std::string_view name, const Value &self,
                                    const CallArgs &args) {
  const std::string &text = self.str();
  if (name == "split") return split(self, args, false);
  if (name == "rsplit") return split(self, args, true);
  if (name == "strip") return stripMethod(self, args, "strip", true, true);
  if (name == "lstrip") return stripMethod(self, args, "lstrip", true, false);
  if (name == "rstrip") return stripMethod(self, args, "rstrip", false, true);
  if (name == "startswith") return affix(self, args, "startswith", true);
  if (name == "endswith") return affix(self, args, "endswith", false);
  if (name == "find") return findMethod(self, args, "find", false, false);
  if (name == "rfind") return findMethod(self, args, "rfind", true, false);
  if (name == "index") return findMethod(self, args, "index", false, true);
  if (name == "rindex") return findMethod(self, args, "rindex", true, true);
  if (name == "format") return strFormat(text, args);
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" ||
      name == "swapcase" || name == "casefold") {
    if (absl::StatusOr<Value> st = noArgs(std::string(name).c_str(), args); !st.ok())
      return st.status();
    if (name == "upper") return Value::string(upper(text));
    if (name == "lower" || name == "casefold") return Value::string(lower(text));
    if (name == "title") return Value::string(title(text));
    if (name == "capitalize") return Value::string(capitalize(text));
    std::string out;
    for (size_t pos = 0; pos < text.size();) {
      size_t length = 1;
      char32_t cp = decodeUtf8At(text, pos, &length);
      appendUtf8(out, isUpperCase(cp) ? toLower(cp) : toUpper(cp));
      pos += length;
    }
    return Value::string(std::move(out));
  }
  if (name == "replace") {
    absl::StatusOr<std::vector<Value>> bound =
        bindArgs("replace", args,
                 {{"old", std::nullopt}, {"new", std::nullopt}, {"count", Value::integer(-1)}});
    if (!bound.ok()) return bound.status();
    absl::StatusOr<std::string> old_text = stringArg("replace", "old", (*bound)[0]);
    absl::StatusOr<std::string> new_text = stringArg("replace", "new", (*bound)[1]);
    absl::StatusOr<int64_t> count = intArg("replace", "count", (*bound)[2]);
    if (!old_text.ok()) return old_text.status();
    if (!new_text.ok()) return new_text.status();
    if (!count.ok()) return count.status();
    std::string out;
    int64_t done = 0;
    if (old_text->empty()) {
      // Python inserts `new` before every character and at the end.
      std::vector<size_t> offsets = codePointOffsets(text);
      for (size_t i = 0; i + 1 < offsets.size(); ++i) {
        if (*count < 0 || done < *count) {
          out += *new_text;
          ++done;
        }
        out.append(text, offsets[i], offsets[i + 1] - offsets[i]);
        if (out.size() > kMaxOutputBytes)
          return limitError("replace() result longer than the output limit");
      }
      if (*count < 0 || done < *count) out += *new_text;
      return Value::string(std::move(out));
    }
    size_t pos = 0;
    while (*count < 0 || done < *count) {
      size_t found = text.find(*old_text, pos);
      if (found == std::string::npos) break;
      out.append(text, pos, found - pos);
      out += *new_text;
      if (out.size() > kMaxOutputBytes)
        return limitError("replace() result longer than the output limit");
      pos = found + old_text->size();
      ++done;
    }
    out.append(text, pos, std::string::npos);
    return Value::string(std::move(out));
  }
  if (name == "count") {
    absl::StatusOr<std::vector<Value>> bound = bindArgs(
        "count", args, {{"sub", std::nullopt}, {"start", Value::none()}, {"end", Value::none()}});
    if (!bound.ok()) return bound.status();
    absl::StatusOr<std::string> sub = stringArg("count", "sub", (*bound)[0]);
    if (!sub.ok()) return sub.status();
    absl::StatusOr<std::pair<size_t, size_t>> range = window(text, (*bound)[1], (*bound)[2]);
    if (!range.ok()) return range.status();
    std::string_view haystack =
        std::string_view(text).substr(range->first, range->second - range->first);
    if (sub->empty()) return Value::integer(static_cast<int64_t>(codePointCount(haystack)) + 1);
    int64_t count = 0;
    for (size_t pos = haystack.find(*sub); pos != std::string_view::npos;
         pos = haystack.find(*sub, pos + sub->size()))
      ++count;
    return Value::integer(count);
  }
  if (name == "join") {
    absl::StatusOr<std::vector<Value>> bound = bindArgs("join", args, {{"iterable", std::nullopt}});
    if (!bound.ok()) return bound.status();
    absl::StatusOr<std::vector<Value>> items = iterate((*bound)[0]);
    if (!items.ok()) return items.status();
    std::string out;
    for (size_t i = 0; i < items->size(); ++i) {
      const Value &item = (*items)[i];
      if (!item.isString())
        return absl::InvalidArgumentError(
            cat("sequence item ", i, ": expected str instance, ", item.typeName(), " found"));
      if (i) out += text;
      out += item.str();
      if (out.size() > kMaxOutputBytes)
        return limitError("join() result longer than the output limit");
    }
    return Value::string(std::move(out));
  }
  if (name == "splitlines") {
    absl::StatusOr<std::vector<Value>> bound =
        bindArgs("splitlines", args, {{"keepends", Value::boolean(false)}});
    if (!bound.ok()) return bound.status();
    bool keep = (*bound)[0].truthy();
    std::vector<std::string> lines;
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
      lines.push_back(text.substr(start, (keep ? pos : end) - start));
      start = pos;
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    return strings(std::move(lines));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    bool prefix = name == "removeprefix";
    absl::StatusOr<std::vector<Value>> bound = bindArgs(name, args, {{"affix", std::nullopt}});
    if (!bound.ok()) return bound.status();
    absl::StatusOr<std::string> affix_text = stringArg(name, "affix", (*bound)[0]);
    if (!affix_text.ok()) return affix_text.status();
    std::string_view view = text;
    if (prefix && view.substr(0, affix_text->size()) == *affix_text)
      return Value::string(std::string(view.substr(affix_text->size())));
    if (!prefix && affix_text->size() <= view.size() &&
        view.substr(view.size() - affix_text->size()) == *affix_text)
      return Value::string(std::string(view.substr(0, view.size() - affix_text->size())));
    return self;
  }
  if (name == "partition" || name == "rpartition") {
    bool right = name == "rpartition";
    absl::StatusOr<std::vector<Value>> bound = bindArgs(name, args, {{"sep", std::nullopt}});
    if (!bound.ok()) return bound.status();
    absl::StatusOr<std::string> sep = stringArg(name, "sep", (*bound)[0]);
    if (!sep.ok()) return sep.status();
    if (sep->empty()) return absl::InvalidArgumentError("empty separator");
    size_t found = right ? text.rfind(*sep) : text.find(*sep);
    if (found == std::string::npos)
      return right ? Value::tuple({Value::string(""), Value::string(""), self})
                   : Value::tuple({self, Value::string(""), Value::string("")});
    return Value::tuple({Value::string(text.substr(0, found)), Value::string(*sep),
                         Value::string(text.substr(found + sep->size()))});
  }
  if (name == "ljust") return justify(self, args, "ljust", '<');
  if (name == "rjust") return justify(self, args, "rjust", '>');
  if (name == "center") return justify(self, args, "center", '^');
  if (name == "zfill") {
    absl::StatusOr<std::vector<Value>> bound = bindArgs("zfill", args, {{"width", std::nullopt}});
    if (!bound.ok()) return bound.status();
    absl::StatusOr<int64_t> width = intArg("zfill", "width", (*bound)[0]);
    if (!width.ok()) return width.status();
    if (*width > static_cast<int64_t>(kMaxOutputBytes))
      return limitError("width larger than the output limit");
    int64_t length = static_cast<int64_t>(codePointCount(text));
    if (*width <= length) return self;
    size_t sign = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    return Value::string(text.substr(0, sign) + std::string(*width - length, '0') +
                         text.substr(sign));
  }
  if (name == "isdigit" || name == "isdecimal" || name == "isnumeric")
    return allChars(self, args, "isdigit", isDigit);
  if (name == "isalpha") return allChars(self, args, "isalpha", isAlpha);
  if (name == "isalnum")
    return allChars(self, args, "isalnum", [](char32_t cp) { return isAlpha(cp) || isDigit(cp); });
  if (name == "isspace") return allChars(self, args, "isspace", isSpace);
  if (name == "isupper") return caseCheck(self, args, "isupper", true);
  if (name == "islower") return caseCheck(self, args, "islower", false);
  return absl::InternalError(cat("str method ", name));
}

}  // namespace lfm::jinja
