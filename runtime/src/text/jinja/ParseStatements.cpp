// The parser's statements: the tags and the blocks they open.
#include <algorithm>

#include "text/jinja/Strings.h"
#include "text/jinja/TemplateParser.h"

namespace lfm::jinja {
namespace {

// Whether an expression tree reads a name (for macros' varargs, kwargs and
// caller).
bool readsName(const Expr *expr, std::string_view name);
bool readsName(const Body &body, std::string_view name);

bool readsName(const Expr *expr, std::string_view name) {
  if (!expr) return false;
  if (expr->kind == ExprKind::kName && expr->name == name) return true;
  if (readsName(expr->target.get(), name) || readsName(expr->dyn_args.get(), name) ||
      readsName(expr->dyn_kwargs.get(), name))
    return true;
  for (const ExprPtr &item : expr->items)
    if (readsName(item.get(), name)) return true;
  for (const auto &kw : expr->kwargs)
    if (readsName(kw.second.get(), name)) return true;
  return false;
}

bool readsName(const Body &body, std::string_view name) {
  for (const StmtPtr &stmt : body) {
    for (const OutputPart &part : stmt->parts)
      if (readsName(part.expr.get(), name)) return true;
    for (const IfBranch &branch : stmt->branches)
      if (readsName(branch.test.get(), name) || readsName(branch.body, name)) return true;
    if (readsName(stmt->body, name) || readsName(stmt->else_body, name) ||
        readsName(stmt->iter.get(), name) || readsName(stmt->test.get(), name) ||
        readsName(stmt->value.get(), name) || readsName(stmt->filter.get(), name))
      return true;
    for (const ExprPtr &value : stmt->with_values)
      if (readsName(value.get(), name)) return true;
    if (stmt->macro) {
      for (const ExprPtr &value : stmt->macro->defaults)
        if (readsName(value.get(), name)) return true;
      if (stmt->kind == StmtKind::kCallBlock && readsName(stmt->macro->body, name)) return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Body> Parser::subparse(const std::vector<std::string> &end_tokens) {
  Body body;
  std::vector<OutputPart> parts;
  SourcePos parts_pos;
  auto flush = [&] {
    if (parts.empty()) return;
    auto stmt = std::make_unique<Stmt>();
    stmt->kind = StmtKind::kOutput;
    stmt->pos = parts_pos;
    stmt->parts = std::move(parts);
    parts.clear();
    body.push_back(std::move(stmt));
  };
  if (!end_tokens.empty()) end_stack_.push_back(end_tokens);
  struct Pop {
    Parser *parser;
    bool active;
    ~Pop() {
      if (active) parser->end_stack_.pop_back();
    }
  } pop{this, !end_tokens.empty()};
  while (current().type != TokenType::kEof) {
    const Token &token = current();
    if (token.type == TokenType::kData) {
      if (parts.empty()) parts_pos = token.pos;
      parts.push_back(OutputPart{token.text, nullptr});
      next();
    } else if (token.type == TokenType::kVariableBegin) {
      if (parts.empty()) parts_pos = token.pos;
      next();
      LFM_PARSE_TRY(expr, parseTuple(false, true, {}, false, false));
      if (absl::Status st = expectType(TokenType::kVariableEnd, "end of print statement"); !st.ok())
        return st;
      parts.push_back(OutputPart{"", std::move(expr)});
    } else if (token.type == TokenType::kBlockBegin) {
      flush();
      next();
      if (current().type == TokenType::kName &&
          std::find(end_tokens.begin(), end_tokens.end(), current().text) != end_tokens.end())
        return body;
      LFM_PARSE_TRY(stmt, parseStatement());
      body.push_back(std::move(stmt));
      if (absl::Status st = expectType(TokenType::kBlockEnd, "end of statement block"); !st.ok())
        return st;
    } else {
      return fail(token, "unexpected " + describe(token));
    }
  }
  flush();
  return body;
}

// parse_statements: [':'] '%}' body up to one of end_tokens.
absl::StatusOr<Body> Parser::parseStatements(const std::vector<std::string> &end_tokens,
                                             bool drop_needle) {
  skipOp(":");
  if (absl::Status st = expectType(TokenType::kBlockEnd, "end of statement block"); !st.ok())
    return st;
  LFM_PARSE_TRY(body, subparse(end_tokens));
  if (current().type == TokenType::kEof) return failEof(end_tokens);
  if (drop_needle) next();
  return body;
}

absl::StatusOr<StmtPtr> Parser::parseStatement() {
  const Token &token = current();
  DepthGuard guard(*this);
  if (guard.tooDeep()) return tooDeep(token);
  if (token.type != TokenType::kName) return fail(token, "tag name expected");
  const std::string tag = token.text;
  tag_stack_.push_back(tag);
  struct Pop {
    Parser *parser;
    ~Pop() { parser->tag_stack_.pop_back(); }
  } pop{this};
  if (tag == "for") return parseFor();
  if (tag == "if") return parseIf();
  if (tag == "set") return parseSet();
  if (tag == "macro") return parseMacro();
  if (tag == "call") return parseCallBlock();
  if (tag == "filter") return parseFilterBlock();
  if (tag == "with") return parseWith();
  if (tag == "print") return parsePrint();
  if (tag == "block") return parseBlock();
  if (tag == "generation") return parseGeneration();
  if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) return fail(token, cat("'", tag, "' outside of a loop"));
    auto stmt = std::make_unique<Stmt>();
    stmt->kind = tag == "break" ? StmtKind::kBreak : StmtKind::kContinue;
    stmt->pos = next().pos;
    return stmt;
  }
  if (tag == "extends" || tag == "include" || tag == "import" || tag == "from")
    return fail(token, cat("tag '", tag,
                           "' is not supported (a chat template cannot load other templates)"));
  if (tag == "autoescape") return fail(token, "tag 'autoescape' is not supported");
  // The innermost open block is the tag before this one.
  tag_stack_.pop_back();
  std::string expected = end_stack_.empty() ? "" : expectation(end_stack_.back());
  tag_stack_.push_back(tag);
  for (const auto &ends : end_stack_)
    if (std::find(ends.begin(), ends.end(), tag) != ends.end())
      return fail(token, cat("unexpected tag '", tag, "' (a nesting mistake?)", expected));
  return fail(token, cat("unknown tag '", tag, "'", expected));
}

absl::StatusOr<StmtPtr> Parser::newStmt(StmtKind kind) {
  auto stmt = std::make_unique<Stmt>();
  stmt->kind = kind;
  stmt->pos = next().pos;  // the tag name
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parseFor() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kFor));
  LFM_PARSE_TRY(target, parseAssignTarget(true, false, {"in"}, false));
  stmt->target = std::move(target);
  if (!skipName("in")) return fail(current(), cat("expected 'in', got ", describe(current())));
  LFM_PARSE_TRY(iter, parseTuple(false, false, {"recursive"}, false, false));
  stmt->iter = std::move(iter);
  if (skipName("if")) {
    LFM_PARSE_TRY(test, parseExpression(true));
    stmt->test = std::move(test);
  }
  if (isName(current(), "recursive")) return fail(current(), "recursive loops are not supported");
  ++loop_depth_;
  absl::StatusOr<Body> body = parseStatements({"endfor", "else"}, false);
  --loop_depth_;
  if (!body.ok()) return body.status();
  stmt->body = std::move(body).value();
  if (next().text == "else") {
    LFM_PARSE_TRY(else_body, parseStatements({"endfor"}, true));
    stmt->else_body = std::move(else_body);
  }
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parseIf() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kIf));
  while (true) {
    IfBranch branch;
    LFM_PARSE_TRY(test, parseTuple(false, false, {}, false, false));
    branch.test = std::move(test);
    LFM_PARSE_TRY(body, parseStatements({"elif", "else", "endif"}, false));
    branch.body = std::move(body);
    stmt->branches.push_back(std::move(branch));
    const Token &token = next();
    if (token.text == "elif") continue;
    if (token.text == "else") {
      LFM_PARSE_TRY(else_body, parseStatements({"endif"}, true));
      stmt->else_body = std::move(else_body);
    }
    break;
  }
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parseSet() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kSet));
  LFM_PARSE_TRY(target, parseAssignTarget(true, false, {}, true));
  stmt->target = std::move(target);
  if (skipOp("=")) {
    LFM_PARSE_TRY(value, parseTuple(false, true, {}, false, false));
    stmt->value = std::move(value);
    return stmt;
  }
  stmt->kind = StmtKind::kSetBlock;
  if (isOp(current(), "|")) {
    LFM_PARSE_TRY(filter, parseFilter(nullptr, false));
    stmt->filter = std::move(filter);
  }
  LFM_PARSE_TRY(body, parseStatements({"endset"}, true));
  stmt->body = std::move(body);
  return stmt;
}

absl::Status Parser::parseSignature(MacroDef &macro) {
  if (absl::Status st = expectOp("("); !st.ok()) return st;
  while (!isOp(current(), ")")) {
    if (!macro.params.empty())
      if (absl::Status st = expectOp(","); !st.ok()) return st;
    const Token &token = current();
    absl::StatusOr<std::string> name = expectName();
    if (!name.ok()) return name.status();
    if (skipOp("=")) {
      absl::StatusOr<ExprPtr> value = parseExpression(true);
      if (!value.ok()) return value.status();
      macro.defaults.push_back(std::move(value).value());
    } else if (!macro.defaults.empty()) {
      return fail(token, "non-default argument follows default argument");
    }
    macro.params.push_back(*name);
  }
  return expectOp(")");
}

void Parser::noteMacroNames(MacroDef &macro) {
  macro.uses_varargs = readsName(macro.body, "varargs");
  macro.uses_kwargs = readsName(macro.body, "kwargs");
  macro.uses_caller = readsName(macro.body, "caller");
}

absl::StatusOr<Body> Parser::parseMacroBody(std::string_view end) {
  int saved = loop_depth_;
  loop_depth_ = 0;
  absl::StatusOr<Body> body = parseStatements({std::string(end)}, true);
  loop_depth_ = saved;
  return body;
}

absl::StatusOr<StmtPtr> Parser::parseMacro() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kMacro));
  stmt->macro = std::make_unique<MacroDef>();
  stmt->macro->pos = stmt->pos;
  LFM_PARSE_TRY(name, expectName());
  stmt->macro->name = name;
  if (absl::Status st = parseSignature(*stmt->macro); !st.ok()) return st;
  LFM_PARSE_TRY(body, parseMacroBody("endmacro"));
  stmt->macro->body = std::move(body);
  noteMacroNames(*stmt->macro);
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parseCallBlock() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kCallBlock));
  stmt->macro = std::make_unique<MacroDef>();
  stmt->macro->name = "caller";
  stmt->macro->pos = stmt->pos;
  if (isOp(current(), "("))
    if (absl::Status st = parseSignature(*stmt->macro); !st.ok()) return st;
  LFM_PARSE_TRY(call, parseExpression(true));
  if (call->kind != ExprKind::kCall) return fail(stmt->pos, "expected call");
  stmt->value = std::move(call);
  LFM_PARSE_TRY(body, parseMacroBody("endcall"));
  stmt->macro->body = std::move(body);
  noteMacroNames(*stmt->macro);
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parseFilterBlock() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kFilterBlock));
  LFM_PARSE_TRY(filter, parseFilter(nullptr, true));
  stmt->filter = std::move(filter);
  LFM_PARSE_TRY(body, parseStatements({"endfilter"}, true));
  stmt->body = std::move(body);
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parseWith() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kWith));
  while (current().type != TokenType::kBlockEnd) {
    if (!stmt->with_targets.empty())
      if (absl::Status st = expectOp(","); !st.ok()) return st;
    LFM_PARSE_TRY(target, parseAssignTarget(true, false, {}, false));
    if (absl::Status st = expectOp("="); !st.ok()) return st;
    LFM_PARSE_TRY(value, parseExpression(true));
    stmt->with_targets.push_back(std::move(target));
    stmt->with_values.push_back(std::move(value));
  }
  LFM_PARSE_TRY(body, parseStatements({"endwith"}, true));
  stmt->body = std::move(body);
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parsePrint() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kOutput));
  while (current().type != TokenType::kBlockEnd) {
    if (!stmt->parts.empty())
      if (absl::Status st = expectOp(","); !st.ok()) return st;
    LFM_PARSE_TRY(expr, parseExpression(true));
    stmt->parts.push_back(OutputPart{"", std::move(expr)});
  }
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parseBlock() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kScope));
  LFM_PARSE_TRY(name, expectName());
  skipName("scoped");
  skipName("required");
  LFM_PARSE_TRY(body, parseStatements({"endblock"}, true));
  stmt->body = std::move(body);
  skipName(name);
  return stmt;
}

absl::StatusOr<StmtPtr> Parser::parseGeneration() {
  LFM_PARSE_TRY(stmt, newStmt(StmtKind::kScope));
  LFM_PARSE_TRY(body, parseStatements({"endgeneration"}, true));
  stmt->body = std::move(body);
  return stmt;
}

}  // namespace lfm::jinja
