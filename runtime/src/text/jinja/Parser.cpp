#include "text/jinja/Parser.h"

#include "absl/strings/str_join.h"
#include "text/jinja/CheckNames.h"
#include "text/jinja/Strings.h"
#include "text/jinja/TemplateParser.h"

namespace lfm::jinja {

ExprPtr makeExpr(ExprKind kind, SourcePos pos) {
  auto expr = std::make_unique<Expr>();
  expr->kind = kind;
  expr->pos = pos;
  return expr;
}

std::string describe(const Token &token) {
  switch (token.type) {
    case TokenType::kData:
      return "template data";
    case TokenType::kVariableBegin:
      return "begin of print statement";
    case TokenType::kVariableEnd:
      return "end of print statement";
    case TokenType::kBlockBegin:
      return "begin of statement block";
    case TokenType::kBlockEnd:
      return "end of statement block";
    case TokenType::kName:
      return cat("'", token.text, "'");
    case TokenType::kString:
      return "string";
    case TokenType::kInteger:
      return "integer";
    case TokenType::kFloat:
      return "float";
    case TokenType::kOperator:
      return cat("'", token.text, "'");
    case TokenType::kEof:
      return "end of template";
  }
  return "token";
}

absl::Status Parser::expectType(TokenType type, std::string_view what) {
  if (current().type != type) {
    if (current().type == TokenType::kEof) return failEof();
    return fail(current(), cat("expected ", what, ", got ", describe(current())));
  }
  next();
  return absl::OkStatus();
}

// ", expected 'endfor' or 'else' (the innermost open block is 'for')".
std::string Parser::expectation(const std::vector<std::string> &end_tokens) const {
  if (end_tokens.empty()) return "";
  std::vector<std::string> quoted;
  for (const std::string &name : end_tokens) quoted.push_back(cat("'", name, "'"));
  std::string text = cat(", expected ", absl::StrJoin(quoted, " or "));
  if (!tag_stack_.empty()) catTo(&text, " (the innermost open block is '", tag_stack_.back(), "')");
  return text;
}

absl::StatusOr<std::shared_ptr<const TemplateAst>> parseTemplate(std::string_view source,
                                                                 std::string_view origin) {
  absl::StatusOr<std::vector<Token>> tokens = tokenize(source, origin);
  if (!tokens.ok()) return tokens.status();
  Parser parser(std::move(tokens).value(), origin);
  absl::StatusOr<Body> body = parser.parseTemplateBody();
  if (!body.ok()) return body.status();
  auto ast = std::make_shared<TemplateAst>();
  ast->origin = std::string(origin);
  ast->body = std::move(body).value();
  if (absl::Status st = checkFilterAndTestNames(*ast); !st.ok()) return st;
  return std::shared_ptr<const TemplateAst>(std::move(ast));
}

}  // namespace lfm::jinja
