#include "text/OnigPattern.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "text/AbslView.h"

namespace lfm::text {
namespace {

struct RegexClassTable {
  const char *key;
  const char *base;         // PCRE2's class body ("" : explicit list in extra)
  const char *extra;        // what Oniguruma's class has beyond base
  const char *missing;      // what base has that Oniguruma's class lacks
  const char *neg;          // PCRE2's complement escape ("" : none alike)
  const char *neg_extra;    // what Oniguruma's complement has beyond neg
  const char *neg_missing;  // what neg has that Oniguruma's complement lacks
  uint32_t native_below;    // below it, PCRE2's own escape matches as Oniguruma's
};

#include "text/RegexClassTables.inc"

const RegexClassTable *findClass(std::string_view key) {
  for (const auto &t : kRegexClassTables)
    if (key == t.key) return &t;
  return nullptr;
}

// Oniguruma's names of the general categories, loosely matched (case,
// spaces, '_' and '-' ignored), to the tables' keys.
const RegexClassTable *findProperty(std::string_view name) {
  std::string n;
  for (char c : name)
    if (c != ' ' && c != '_' && c != '-') n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::pair<const char *, const char *> kAliases[] = {
      {"l", "L"},
      {"letter", "L"},
      {"lu", "Lu"},
      {"uppercaseletter", "Lu"},
      {"ll", "Ll"},
      {"lowercaseletter", "Ll"},
      {"lt", "Lt"},
      {"titlecaseletter", "Lt"},
      {"lm", "Lm"},
      {"modifierletter", "Lm"},
      {"lo", "Lo"},
      {"otherletter", "Lo"},
      {"m", "M"},
      {"mark", "M"},
      {"combiningmark", "M"},
      {"mn", "Mn"},
      {"nonspacingmark", "Mn"},
      {"mc", "Mc"},
      {"spacingmark", "Mc"},
      {"me", "Me"},
      {"enclosingmark", "Me"},
      {"n", "N"},
      {"number", "N"},
      {"nd", "Nd"},
      {"decimalnumber", "Nd"},
      {"nl", "Nl"},
      {"letternumber", "Nl"},
      {"no", "No"},
      {"othernumber", "No"},
      {"p", "P"},
      {"punctuation", "P"},
      {"pc", "Pc"},
      {"connectorpunctuation", "Pc"},
      {"pd", "Pd"},
      {"dashpunctuation", "Pd"},
      {"ps", "Ps"},
      {"openpunctuation", "Ps"},
      {"pe", "Pe"},
      {"closepunctuation", "Pe"},
      {"pi", "Pi"},
      {"initialpunctuation", "Pi"},
      {"pf", "Pf"},
      {"finalpunctuation", "Pf"},
      {"po", "Po"},
      {"otherpunctuation", "Po"},
      {"s", "S"},
      {"symbol", "S"},
      {"sm", "Sm"},
      {"mathsymbol", "Sm"},
      {"sc", "Sc"},
      {"currencysymbol", "Sc"},
      {"sk", "Sk"},
      {"modifiersymbol", "Sk"},
      {"so", "So"},
      {"othersymbol", "So"},
      {"z", "Z"},
      {"separator", "Z"},
      {"zs", "Zs"},
      {"spaceseparator", "Zs"},
      {"zl", "Zl"},
      {"lineseparator", "Zl"},
      {"zp", "Zp"},
      {"paragraphseparator", "Zp"},
      {"cc", "Cc"},
      {"control", "Cc"},
      {"cf", "Cf"},
      {"format", "Cf"},
      {"co", "Co"},
      {"privateuse", "Co"},
  };
  for (const auto &[alias, key] : kAliases)
    if (n == alias) return findClass(key);
  return nullptr;
}

// The class `t` (or its complement) inside brackets (in_class) or alone,
// into `exact`; PCRE2's own escape into `fast`. `original` is kept where
// PCRE2 has nothing exact.
void emitClass(Pcre2Pattern &out, const RegexClassTable &t, bool negated, bool in_class,
               std::string_view original) {
  out.fast_below = std::min(out.fast_below, t.native_below);
  if (std::string_view(t.key).size() == 1 && std::islower(static_cast<unsigned char>(t.key[0]))) {
    out.fast +=
        absl::StrCat("\\", std::string(1, negated ? static_cast<char>(std::toupper(t.key[0])) : t.key[0]));
  } else {
    out.fast += absl::StrCat(negated ? "\\P{" : "\\p{", t.key, "}");
  }
  std::string &exact = out.exact;
  if (!in_class) {
    // Oniguruma's escape alone may differ from inside brackets (\w).
    if (const RegexClassTable *alone = findClass(absl::StrCat(t.key, "!"))) {
      exact += absl::StrCat(negated ? "[^" : "[", alone->base, alone->extra, "]");
      return;
    }
  }
  std::string body = absl::StrCat(t.base, t.extra);
  bool missing = *t.missing != '\0';
  if (in_class) {
    if (!negated) {
      exact += body;
    } else if (*t.neg) {
      absl::StrAppend(&exact, t.neg, t.neg_extra);
    } else {
      exact += std::string(original);
    }
    return;
  }
  if (!negated) {
    exact += missing ? absl::StrCat("(?:(?![", t.missing, "])[", body, "])") : absl::StrCat("[", body, "]");
  } else {
    exact += missing ? absl::StrCat("(?:[^", body, "]|[", t.missing, "])") : absl::StrCat("[^", body, "]");
  }
}

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::string onigClassBody(std::string_view key) {
  const RegexClassTable *t = findClass(key);
  return t ? absl::StrCat(t->base, t->extra) : std::string();
}

absl::StatusOr<Pcre2Pattern> onigToPcre2(std::string_view p) {
  Pcre2Pattern out;
  out.exact.reserve(p.size() * 2);
  out.fast_below = 0x110000;
  // Text the same in both patterns.
  auto both = [&](std::string_view text) {
    out.exact += text;
    out.fast += text;
  };
  bool in_class = false;
  size_t class_body = 0;  // where the class's members start (a leading ']' is one)
  size_t i = 0, n = p.size();
  while (i < n) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 >= n) return absl::InvalidArgumentError("the pattern ends with a backslash");
      char e = p[i + 1];
      if ((e == 'p' || e == 'P') && i + 2 < n && p[i + 2] == '{') {
        size_t close = p.find('}', i + 3);
        if (close == std::string_view::npos) return absl::InvalidArgumentError("\\p{ without }");
        std::string_view name = p.substr(i + 3, close - i - 3);
        bool negated = e == 'P';
        if (!name.empty() && name[0] == '^') {
          negated = !negated;
          name.remove_prefix(1);
        }
        std::string_view original = p.substr(i, close + 1 - i);
        if (const RegexClassTable *t = findProperty(name)) {
          emitClass(out, *t, negated, in_class, original);
        } else {
          both(absl::StrCat("\\", negated ? "P" : "p", "{", av(name), "}"));
        }
        i = close + 1;
        continue;
      }
      switch (e) {
        case 's':
        case 'S':
        case 'd':
        case 'D':
        case 'w':
        case 'W': {
          char key[2] = {static_cast<char>(std::tolower(static_cast<unsigned char>(e))), '\0'};
          emitClass(out, *findClass(key), std::isupper(static_cast<unsigned char>(e)) != 0, in_class,
                    p.substr(i, 2));
          i += 2;
          continue;
        }
        case 'h':
          both(in_class ? "0-9a-fA-F" : "[0-9a-fA-F]");
          i += 2;
          continue;
        case 'H':
          if (in_class) return absl::InvalidArgumentError("\\H inside a character class is not supported");
          both("[^0-9a-fA-F]");
          i += 2;
          continue;
        case 'u':
          if (i + 6 <= n && isHex(p[i + 2]) && isHex(p[i + 3]) && isHex(p[i + 4]) && isHex(p[i + 5])) {
            both(absl::StrCat("\\x{", av(p.substr(i + 2, 4)), "}"));
            i += 6;
            continue;
          }
          break;
        default:
          break;
      }
      both(p.substr(i, 2));
      i += 2;
      continue;
    }
    if (in_class) {
      if (c == '[') {
        if (i + 1 < n && p[i + 1] == ':') {
          size_t close = p.find(":]", i + 2);
          if (close == std::string_view::npos) return absl::InvalidArgumentError("[: without :]");
          both(p.substr(i, close + 2 - i));
          i = close + 2;
          continue;
        }
        return absl::InvalidArgumentError("nested character classes are not supported");
      }
      if (c == '&' && i + 1 < n && p[i + 1] == '&')
        return absl::InvalidArgumentError("character class intersection (&&) is not supported");
      if (c == ']' && i > class_body) in_class = false;
      both(p.substr(i, 1));
      ++i;
      continue;
    }
    if (c == '[') {
      in_class = true;
      both(p.substr(i, 1));
      ++i;
      if (i < n && p[i] == '^') both(p.substr(i++, 1));
      class_body = i;  // a ']' right here is a member
      continue;
    }
    if (c == '(' && i + 2 < n && p[i + 1] == '?') {
      // Ruby's option letters: m is PCRE2's s (dot matches a newline).
      size_t j = i + 2;
      while (j < n && (p[j] == 'i' || p[j] == 'm' || p[j] == 'x' || p[j] == '-')) ++j;
      if (j > i + 2 && j < n && (p[j] == ')' || p[j] == ':')) {
        both("(?");
        for (size_t k = i + 2; k < j; ++k) both(p[k] == 'm' ? "s" : p.substr(k, 1));
        i = j;
        continue;
      }
    }
    both(p.substr(i, 1));
    ++i;
  }
  if (in_class) return absl::InvalidArgumentError("a character class is not closed");
  return out;
}

}  // namespace lfm::text
