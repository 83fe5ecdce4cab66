// The parser's class, shared by its files: Parser.cpp (tokens, errors,
// template data), ParseStatements.cpp (tags) and ParseExpressions.cpp
// (expressions, jinja2's precedence).
#ifndef LFM_TEXT_JINJA_TEMPLATEPARSER_H
#define LFM_TEXT_JINJA_TEMPLATEPARSER_H

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "text/jinja/Ast.h"
#include "text/jinja/Errors.h"
#include "text/jinja/Lexer.h"
#include "text/jinja/Limits.h"

// `lhs = value of the StatusOr expr`, or returns its error.
#define LFM_PARSE_TRY(lhs, expr)                \
  auto lhs##_or = (expr);                       \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(lhs##_or).value()

namespace lfm::jinja {

ExprPtr makeExpr(ExprKind kind, SourcePos pos);
// A token as messages name it ("'endfor'", "end of print statement").
std::string describe(const Token &token);

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view origin)
      : tokens_(std::move(tokens)), origin_(origin) {}

  absl::StatusOr<Body> parseTemplateBody() {
    LFM_PARSE_TRY(body, subparse({}));
    if (current().type != TokenType::kEof)
      return fail(current(), "unexpected " + describe(current()));
    return body;
  }

 private:
  // RAII nesting counter.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser &parser) : parser_(parser) { ++parser_.depth_; }
    ~DepthGuard() { --parser_.depth_; }
    bool tooDeep() const { return parser_.depth_ > kMaxParseDepth; }

   private:
    Parser &parser_;
  };

  const Token &current() const { return tokens_[index_]; }
  const Token &look() const { return tokens_[std::min(index_ + 1, tokens_.size() - 1)]; }
  const Token &next() {
    const Token &token = tokens_[index_];
    if (index_ + 1 < tokens_.size()) ++index_;
    return token;
  }
  static bool isName(const Token &token, std::string_view name) {
    return token.type == TokenType::kName && token.text == name;
  }
  static bool isOp(const Token &token, std::string_view op) {
    return token.type == TokenType::kOperator && token.text == op;
  }
  bool skipName(std::string_view name) {
    if (!isName(current(), name)) return false;
    next();
    return true;
  }
  bool skipOp(std::string_view op) {
    if (!isOp(current(), op)) return false;
    next();
    return true;
  }

  absl::Status fail(const Token &token, std::string_view message) const {
    return locatedError(absl::StatusCode::kInvalidArgument, origin_, token.pos, message);
  }
  absl::Status fail(SourcePos pos, std::string_view message) const {
    return locatedError(absl::StatusCode::kInvalidArgument, origin_, pos, message);
  }
  absl::Status tooDeep(const Token &token) const {
    return fail(token, cat("template nested deeper than ", kMaxParseDepth, " levels"));
  }

  absl::Status expectOp(std::string_view op) {
    if (!isOp(current(), op))
      return fail(current(), cat("expected '", op, "', got ", describe(current())));
    next();
    return absl::OkStatus();
  }
  absl::Status expectType(TokenType type, std::string_view what);
  absl::StatusOr<std::string> expectName() {
    if (current().type != TokenType::kName)
      return fail(current(), cat("expected a name, got ", describe(current())));
    return next().text;
  }

  // ", expected 'endfor' or 'else' (the innermost open block is 'for')".
  std::string expectation(const std::vector<std::string> &end_tokens) const;

  absl::Status failEof(const std::vector<std::string> &end_tokens) const {
    return fail(current(), cat("unexpected end of template", expectation(end_tokens)));
  }
  absl::Status failEof() const {
    return failEof(end_stack_.empty() ? std::vector<std::string>() : end_stack_.back());
  }

  absl::StatusOr<Body> subparse(const std::vector<std::string> &end_tokens);

  // parse_statements: [':'] '%}' body up to one of end_tokens.
  absl::StatusOr<Body> parseStatements(const std::vector<std::string> &end_tokens,
                                       bool drop_needle);

  absl::StatusOr<StmtPtr> parseStatement();

  absl::StatusOr<StmtPtr> newStmt(StmtKind kind);

  absl::StatusOr<StmtPtr> parseFor();

  absl::StatusOr<StmtPtr> parseIf();

  absl::StatusOr<StmtPtr> parseSet();

  absl::Status parseSignature(MacroDef &macro);

  void noteMacroNames(MacroDef &macro);

  absl::StatusOr<Body> parseMacroBody(std::string_view end);

  absl::StatusOr<StmtPtr> parseMacro();

  absl::StatusOr<StmtPtr> parseCallBlock();

  absl::StatusOr<StmtPtr> parseFilterBlock();

  absl::StatusOr<StmtPtr> parseWith();

  absl::StatusOr<StmtPtr> parsePrint();

  absl::StatusOr<StmtPtr> parseBlock();

  absl::StatusOr<StmtPtr> parseGeneration();

  static bool canAssign(const Expr &expr);

  absl::StatusOr<ExprPtr> parseAssignTarget(bool with_tuple, bool name_only,
                                            const std::vector<std::string> &extra_end,
                                            bool with_namespace);

  absl::StatusOr<ExprPtr> parseExpression(bool with_condexpr);

  absl::StatusOr<ExprPtr> parseCondExpr();

  absl::StatusOr<ExprPtr> parseOr();

  absl::StatusOr<ExprPtr> parseAnd();

  absl::StatusOr<ExprPtr> parseNot();

  absl::StatusOr<ExprPtr> parseCompare();

  absl::StatusOr<ExprPtr> binary(ExprPtr left, ExprPtr right, BinaryOp op, SourcePos pos);

  absl::StatusOr<ExprPtr> parseMath1();

  absl::StatusOr<ExprPtr> parseConcat();

  absl::StatusOr<ExprPtr> parseMath2();

  absl::StatusOr<ExprPtr> parsePow();

  absl::StatusOr<ExprPtr> parseUnary(bool with_filter);

  absl::StatusOr<ExprPtr> parsePrimary(bool with_namespace);

  bool isTupleEnd(const std::vector<std::string> &extra_end) const;

  absl::StatusOr<ExprPtr> parseTuple(bool simplified, bool with_condexpr,
                                     const std::vector<std::string> &extra_end,
                                     bool explicit_parentheses, bool with_namespace);

  absl::StatusOr<ExprPtr> parseList();

  absl::StatusOr<ExprPtr> parseDict();

  absl::StatusOr<ExprPtr> parsePostfix(ExprPtr node);

  absl::StatusOr<ExprPtr> parseFilterExpr(ExprPtr node);

  absl::StatusOr<ExprPtr> parseSubscript(ExprPtr node);

  absl::StatusOr<ExprPtr> parseSubscribed();

  absl::Status parseCallArgs(Expr &node);

  absl::StatusOr<ExprPtr> parseCall(ExprPtr callee);

  absl::StatusOr<std::string> dottedName();

  absl::StatusOr<ExprPtr> parseFilter(ExprPtr node, bool start_inline);

  absl::StatusOr<ExprPtr> parseTest(ExprPtr node);

  std::vector<Token> tokens_;
  size_t index_ = 0;
  std::string_view origin_;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::vector<std::vector<std::string>> end_stack_;
  std::vector<std::string> tag_stack_;
};

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_TEMPLATEPARSER_H
