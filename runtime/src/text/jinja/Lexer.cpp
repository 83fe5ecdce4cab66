#include "text/jinja/Lexer.h"

#include <charconv>
#include <cstdio>

#include "text/jinja/Limits.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Unicode.h"

namespace lfm::jinja {
namespace {

bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "\r\n" and "\r" become "\n"; one trailing newline goes.
std::string normalizeNewlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Lexer {
 public:
  Lexer(std::string source, std::string_view origin) : src_(std::move(source)), origin_(origin) {}

  absl::StatusOr<std::vector<Token>> run() {
    size_t pos = 0;
    bool line_starting = true;
    const size_t n = src_.size();
    while (pos < n) {
      size_t found = findOpener(pos);
      if (found == std::string::npos) {
        emitData(pos, std::string_view(src_).substr(pos));
        break;
      }
      char kind = src_[found + 1];
      size_t after = found + 2;
      char sign = 0;
      if (after < n && (src_[after] == '-' || src_[after] == '+')) sign = src_[after];
      size_t raw_end = kind == '%' ? matchRawBegin(after) : std::string::npos;
      std::string_view text = std::string_view(src_).substr(pos, found - pos);
      text = stripBefore(text, sign, kind != '{', line_starting);
      emitData(pos, text);
      if (raw_end != std::string::npos) {
        line_starting = src_[raw_end - 1] == '\n';
        absl::StatusOr<size_t> next = lexRaw(found, raw_end, line_starting);
        if (!next.ok()) return next.status();
        pos = *next;
        line_starting = src_[pos - 1] == '\n';
        continue;
      }
      size_t body = after + (sign ? 1 : 0);
      if (kind == '#') {
        size_t end = commentEnd(body);
        if (end == std::string::npos) return error(found, "missing end of comment tag");
        pos = end;
        line_starting = src_[end - 1] == '\n';
        continue;
      }
      absl::StatusOr<size_t> next = lexTag(found, body, kind == '%');
      if (!next.ok()) return next.status();
      if (*next >= n && (tokens_.empty() || (tokens_.back().type != TokenType::kBlockEnd &&
                                             tokens_.back().type != TokenType::kVariableEnd))) {
        pos = n;
        break;
      }
      pos = *next;
      line_starting = src_[pos - 1] == '\n';
    }
    Token eof;
    eof.type = TokenType::kEof;
    eof.pos = posAt(n);
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  absl::Status error(size_t offset, std::string_view message) {
    return locatedError(absl::StatusCode::kInvalidArgument, origin_, posAt(offset), message);
  }

  SourcePos posAt(size_t offset) {
    if (offset < cursor_offset_) {
      cursor_offset_ = 0;
      cursor_ = SourcePos{};
    }
    while (cursor_offset_ < offset && cursor_offset_ < src_.size()) {
      size_t length = 1;
      char32_t cp = decodeUtf8At(src_, cursor_offset_, &length);
      if (cp == '\n') {
        ++cursor_.line;
        cursor_.column = 1;
      } else {
        ++cursor_.column;
      }
      cursor_offset_ += length;
    }
    return cursor_;
  }

  size_t findOpener(size_t pos) const {
    while ((pos = src_.find('{', pos)) != std::string::npos) {
      if (pos + 1 < src_.size()) {
        char c = src_[pos + 1];
        if (c == '{' || c == '%' || c == '#') return pos;
      }
      ++pos;
    }
    return std::string::npos;
  }

  size_t skipSpace(size_t pos) const {
    while (pos < src_.size()) {
      size_t length = 1;
      char32_t cp = decodeUtf8At(src_, pos, &length);
      if (!isSpace(cp)) break;
      pos += length;
    }
    return pos;
  }

  bool at(size_t pos, std::string_view what) const {
    return src_.compare(pos, what.size(), what) == 0 && pos + what.size() <= src_.size();
  }

  // The end of a `-%}\s*`, `+%}` or `%}\n?` (with `closer` "%}") at pos.
  size_t tagEnd(size_t pos, std::string_view closer, bool trim_newline) const {
    if (pos >= src_.size()) return std::string::npos;
    if (src_[pos] == '+' && trim_newline && at(pos + 1, closer)) return pos + 1 + closer.size();
    if (src_[pos] == '-' && at(pos + 1, closer)) return skipSpace(pos + 1 + closer.size());
    if (at(pos, closer)) {
      size_t end = pos + closer.size();
      if (trim_newline && end < src_.size() && src_[end] == '\n') ++end;
      return end;
    }
    return std::string::npos;
  }

  // `{%(-|+|)\s*raw\s*(-%}\s*|%})` after the "{%": the end of the match.
  size_t matchRawBegin(size_t pos) const {
    if (pos < src_.size() && (src_[pos] == '-' || src_[pos] == '+')) ++pos;
    pos = skipSpace(pos);
    if (!at(pos, "raw")) return std::string::npos;
    pos = skipSpace(pos + 3);
    if (at(pos, "-%}")) return skipSpace(pos + 3);
    if (at(pos, "%}")) return pos + 2;
    return std::string::npos;
  }

  // The text before a tag, less what its whitespace control removes.
  std::string_view stripBefore(std::string_view text, char sign, bool lstrip,
                               bool line_starting) const {
    if (sign == '-') {
      size_t end = text.size();
      while (end > 0) {
        size_t start = end - 1;
        while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        size_t length = 1;
        if (!isSpace(decodeUtf8At(text, start, &length))) break;
        end = start;
      }
      return text.substr(0, end);
    }
    if (sign == '+' || !lstrip) return text;
    size_t line_start = text.rfind('\n');
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    if (line_start == 0 && !line_starting) return text;
    std::string_view tail = text.substr(line_start);
    if (tail.empty()) return text;
    for (size_t pos = 0; pos < tail.size();) {
      size_t length = 1;
      if (!isSpace(decodeUtf8At(tail, pos, &length))) return text;
      pos += length;
    }
    return text.substr(0, line_start);
  }

  void emitData(size_t offset, std::string_view text) {
    if (text.empty()) return;
    Token token;
    token.type = TokenType::kData;
    token.text = std::string(text);
    token.pos = posAt(offset);
    tokens_.push_back(std::move(token));
  }

  void emit(TokenType type, size_t offset, std::string text = {}) {
    Token token;
    token.type = type;
    token.text = std::move(text);
    token.pos = posAt(offset);
    tokens_.push_back(std::move(token));
  }

  // The raw block's text up to {% endraw %}; returns the position after it.
  absl::StatusOr<size_t> lexRaw(size_t tag, size_t pos, bool line_starting) {
    for (size_t q = src_.find("{%", pos); q != std::string::npos; q = src_.find("{%", q + 1)) {
      size_t p = q + 2;
      char sign = 0;
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
      p = skipSpace(p);
      if (!at(p, "endraw")) continue;
      p = skipSpace(p + 6);
      size_t end = tagEnd(p, "%}", true);
      if (end == std::string::npos) continue;
      std::string_view text = std::string_view(src_).substr(pos, q - pos);
      emitData(pos, stripBefore(text, sign, true, line_starting));
      return end;
    }
    return error(tag, "missing end of raw directive");
  }

  // After the comment's "{#": the position past its end, or npos.
  size_t commentEnd(size_t pos) const {
    for (size_t q = pos; q < src_.size(); ++q) {
      if (src_[q] == '+' && at(q + 1, "#}")) return q + 3;
      if (src_[q] == '-' && at(q + 1, "#}")) return skipSpace(q + 3);
      if (at(q, "#}")) {
        size_t end = q + 2;
        if (end < src_.size() && src_[end] == '\n') ++end;
        return end;
      }
    }
    return std::string::npos;
  }

  // `(\d+_)*\d+` at pos: its end, or npos.
  size_t digitRun(size_t pos, int (*digit)(char) = nullptr) const {
    auto is_digit = [&](size_t i) {
      return i < src_.size() && (digit ? digit(src_[i]) >= 0 : isAsciiDigit(src_[i]));
    };
    if (!is_digit(pos)) return std::string::npos;
    while (true) {
      while (is_digit(pos)) ++pos;
      if (pos < src_.size() && src_[pos] == '_' && is_digit(pos + 1)) {
        ++pos;
        continue;
      }
      return pos;
    }
  }

  static std::string withoutUnderscores(std::string_view text) {
    std::string out;
    for (char c : text)
      if (c != '_') out.push_back(c);
    return out;
  }

  // A float literal at pos: its end, or npos.
  size_t matchFloat(size_t pos) const {
    if (pos > 0 && src_[pos - 1] == '.') return std::string::npos;
    size_t q = digitRun(pos);
    if (q == std::string::npos) return q;
    auto exponent = [&](size_t p) -> size_t {
      if (p >= src_.size() || (src_[p] != 'e' && src_[p] != 'E')) return std::string::npos;
      ++p;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      return digitRun(p);
    };
    if (q < src_.size() && src_[q] == '.') {
      size_t fraction = digitRun(q + 1);
      if (fraction == std::string::npos) return std::string::npos;
      size_t with_exponent = exponent(fraction);
      return with_exponent != std::string::npos ? with_exponent : fraction;
    }
    return exponent(q);
  }

  // An integer literal at pos: its end and value, or npos.
  absl::StatusOr<size_t> matchInteger(size_t pos, int64_t *value) {
    if (pos >= src_.size() || !isAsciiDigit(src_[pos])) return std::string::npos;
    int base = 10;
    size_t digits_start = pos, end = std::string::npos;
    if (src_[pos] == '0' && pos + 1 < src_.size()) {
      char prefix = static_cast<char>(src_[pos + 1] | 0x20);
      int (*digit)(char) = nullptr;
      if (prefix == 'b') {
        base = 2;
        digit = [](char c) { return (c == '0' || c == '1') ? c - '0' : -1; };
      } else if (prefix == 'o') {
        base = 8;
        digit = [](char c) { return (c >= '0' && c <= '7') ? c - '0' : -1; };
      } else if (prefix == 'x') {
        base = 16;
        digit = hexValue;
      }
      if (digit) {
        size_t p = pos + 2;
        if (p < src_.size() && src_[p] == '_') ++p;
        size_t run = digitRun(p, digit);
        if (run != std::string::npos) {
          digits_start = pos + 2;
          end = run;
        } else {
          base = 10;
        }
      }
    }
    if (end == std::string::npos) {
      if (src_[pos] == '0') {
        end = pos + 1;
        while (true) {
          if (end < src_.size() && src_[end] == '0') {
            ++end;
          } else if (end + 1 < src_.size() && src_[end] == '_' && src_[end + 1] == '0') {
            end += 2;
          } else {
            break;
          }
        }
      } else {
        end = digitRun(pos);
      }
    }
    std::string digits =
        withoutUnderscores(std::string_view(src_).substr(digits_start, end - digits_start));
    auto result = std::from_chars(digits.data(), digits.data() + digits.size(), *value, base);
    if (result.ec != std::errc())
      return error(pos, cat("integer literal '", digits, "' is too large"));
    return end;
  }

  size_t matchName(size_t pos) const {
    auto name_char = [&](size_t p, bool first, size_t *length) {
      char32_t cp = decodeUtf8At(src_, p, length);
      if (cp == '_' || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return true;
      if (!first && cp >= '0' && cp <= '9') return true;
      return cp >= 0x80 && isAlpha(cp);
    };
    size_t length = 1;
    if (pos >= src_.size() || !name_char(pos, true, &length)) return std::string::npos;
    pos += length;
    while (pos < src_.size() && name_char(pos, false, &length)) pos += length;
    return pos;
  }

  // A string literal at pos: its end and unescaped value, or npos.
  absl::StatusOr<size_t> matchString(size_t pos, std::string *value) {
    char quote = src_[pos];
    if (quote != '\'' && quote != '"') return std::string::npos;
    size_t q = pos + 1;
    while (q < src_.size() && src_[q] != quote) q += src_[q] == '\\' ? 2 : 1;
    if (q >= src_.size()) return std::string::npos;
    std::string_view body = std::string_view(src_).substr(pos + 1, q - pos - 1);
    value->clear();
    for (size_t i = 0; i < body.size();) {
      if (body[i] != '\\') {
        value->push_back(body[i++]);
        continue;
      }
      char c = body[i + 1];
      i += 2;
      switch (c) {
        case '\n':
          break;
        case '\\':
        case '\'':
        case '"':
          value->push_back(c);
          break;
        case 'a':
          value->push_back('\a');
          break;
        case 'b':
          value->push_back('\b');
          break;
        case 'f':
          value->push_back('\f');
          break;
        case 'n':
          value->push_back('\n');
          break;
        case 'r':
          value->push_back('\r');
          break;
        case 't':
          value->push_back('\t');
          break;
        case 'v':
          value->push_back('\v');
          break;
        case 'x':
        case 'u':
        case 'U': {
          size_t count = c == 'x' ? 2 : c == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (size_t k = 0; k < count; ++k) {
            int h = i + k < body.size() ? hexValue(body[i + k]) : -1;
            if (h < 0) return error(pos, cat("truncated \\", std::string(1, c), " escape"));
            cp = cp * 16 + h;
          }
          if (cp > 0x10FFFF) return error(pos, "illegal Unicode character in string escape");
          i += count;
          appendUtf8(*value, cp);
          break;
        }
        case 'N':
          return error(pos, "\\N{...} escapes are not supported");
        default:
          if (c >= '0' && c <= '7') {
            uint32_t cp = c - '0';
            for (int k = 0; k < 2 && i < body.size() && body[i] >= '0' && body[i] <= '7'; ++k)
              cp = cp * 8 + (body[i++] - '0');
            appendUtf8(*value, cp);
          } else if (static_cast<unsigned char>(c) >= 0x80) {
            // Python escapes the non-ASCII character first ("\xe9"), so the
            // backslash before it escapes that escape's backslash.
            size_t length = 1;
            char32_t cp = decodeUtf8At(body, i - 1, &length);
            i = i - 1 + length;
            char buffer[16];
            if (cp < 0x100)
              std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
            else if (cp < 0x10000)
              std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
            else
              std::snprintf(buffer, sizeof buffer, "\\U%08x", static_cast<unsigned>(cp));
            *value += buffer;
          } else {
            value->push_back('\\');
            value->push_back(c);
          }
      }
    }
    return q + 1;
  }

  // The tokens of a {% %} or {{ }} tag from `pos` (after its opener);
  // returns the position after its end (or the source's end).
  absl::StatusOr<size_t> lexTag(size_t tag, size_t pos, bool block) {
    emit(block ? TokenType::kBlockBegin : TokenType::kVariableBegin, tag);
    std::vector<char> balance;
    const size_t n = src_.size();
    while (pos < n) {
      if (balance.empty()) {
        size_t end = block ? tagEnd(pos, "%}", true) : tagEnd(pos, "}}", false);
        // `+}}` is not an end: the `+` is an operator there.
        if (end != std::string::npos && !(!block && src_[pos] == '+')) {
          emit(block ? TokenType::kBlockEnd : TokenType::kVariableEnd, pos);
          return end;
        }
      }
      size_t length = 1;
      if (isSpace(decodeUtf8At(src_, pos, &length))) {
        pos = skipSpace(pos);
        continue;
      }
      if (size_t end = matchFloat(pos); end != std::string::npos) {
        std::string digits = withoutUnderscores(std::string_view(src_).substr(pos, end - pos));
        Token token;
        token.type = TokenType::kFloat;
        std::from_chars(digits.data(), digits.data() + digits.size(), token.float_value);
        token.pos = posAt(pos);
        tokens_.push_back(std::move(token));
        pos = end;
        continue;
      }
      int64_t int_value = 0;
      absl::StatusOr<size_t> int_end = matchInteger(pos, &int_value);
      if (!int_end.ok()) return int_end.status();
      if (*int_end != std::string::npos) {
        Token token;
        token.type = TokenType::kInteger;
        token.int_value = int_value;
        token.pos = posAt(pos);
        tokens_.push_back(std::move(token));
        pos = *int_end;
        continue;
      }
      if (size_t end = matchName(pos); end != std::string::npos) {
        emit(TokenType::kName, pos, src_.substr(pos, end - pos));
        pos = end;
        continue;
      }
      std::string string_value;
      absl::StatusOr<size_t> string_end = matchString(pos, &string_value);
      if (!string_end.ok()) return string_end.status();
      if (*string_end != std::string::npos) {
        emit(TokenType::kString, pos, std::move(string_value));
        pos = *string_end;
        continue;
      }
      static constexpr std::string_view kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
      std::string op;
      for (std::string_view two : kTwo)
        if (at(pos, two)) op = std::string(two);
      if (op.empty() &&
          std::string_view("+-/*%~[](){}><=.:|,;").find(src_[pos]) != std::string_view::npos)
        op = std::string(1, src_[pos]);
      if (op.empty()) {
        size_t length = 1;
        char32_t cp = decodeUtf8At(src_, pos, &length);
        std::string shown;
        appendUtf8(shown, cp);
        return error(pos, cat("unexpected char '", shown, "'"));
      }
      if (op == "{" || op == "(" || op == "[") {
        balance.push_back(op == "{" ? '}' : op == "(" ? ')' : ']');
      } else if (op == "}" || op == ")" || op == "]") {
        if (balance.empty()) return error(pos, cat("unexpected '", op, "'"));
        char expected = balance.back();
        balance.pop_back();
        if (expected != op[0])
          return error(pos,
                       cat("unexpected '", op, "', expected '", std::string(1, expected), "'"));
      }
      emit(TokenType::kOperator, pos, op);
      pos += op.size();
    }
    return n;
  }

  std::string src_;
  std::string_view origin_;
  std::vector<Token> tokens_;
  size_t cursor_offset_ = 0;
  SourcePos cursor_;
};

}  // namespace

absl::StatusOr<std::vector<Token>> tokenize(std::string_view source, std::string_view origin) {
  if (source.size() > kMaxSourceBytes)
    return locatedError(absl::StatusCode::kInvalidArgument, origin, SourcePos{},
                        cat("template of ", source.size(), " bytes, at most ", kMaxSourceBytes));
  Lexer lexer(normalizeNewlines(source), origin);
  return lexer.run();
}

}  // namespace lfm::jinja
