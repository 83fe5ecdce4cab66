// Splits a template into tokens as jinja2's lexer does with transformers'
// settings: trim_blocks (a newline right after a block or comment tag is
// dropped), lstrip_blocks (spaces and tabs before a block or comment tag at
// the start of a line are dropped), `-` on a tag's side strips all the
// whitespace on that side, `+` keeps it; newlines become "\n" and one
// trailing newline is dropped. Comments vanish; {% raw %} text is data.
#ifndef LFM_TEXT_JINJA_LEXER_H
#define LFM_TEXT_JINJA_LEXER_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "text/jinja/Errors.h"

namespace lfm::jinja {

enum class TokenType {
  kData,
  kVariableBegin,
  kVariableEnd,
  kBlockBegin,
  kBlockEnd,
  kName,
  kString,
  kInteger,
  kFloat,
  kOperator,
  kEof,
};

struct Token {
  TokenType type = TokenType::kEof;
  std::string text;  // data, name, string value (unescaped), operator
  int64_t int_value = 0;
  double float_value = 0;
  SourcePos pos;
};

// Errors name `origin` and the line:column.
absl::StatusOr<std::vector<Token>> tokenize(std::string_view source, std::string_view origin);

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_LEXER_H
