// The parser's expressions, with jinja2's precedence: conditional, or, and,
// not, comparison, + -, ~, * / // %, **, unary, filters and tests, postfix.
#include "text/jinja/Strings.h"
#include "text/jinja/TemplateParser.h"

namespace lfm::jinja {

bool Parser::canAssign(const Expr &expr) {
  if (expr.kind == ExprKind::kName || expr.kind == ExprKind::kNsRef) return true;
  if (expr.kind == ExprKind::kTuple) {
    for (const ExprPtr &item : expr.items)
      if (!canAssign(*item)) return false;
    return true;
  }
  return false;
}

absl::StatusOr<ExprPtr> Parser::parseAssignTarget(bool with_tuple, bool name_only,
                                                  const std::vector<std::string> &extra_end,
                                                  bool with_namespace) {
  const Token &start = current();
  ExprPtr target;
  if (name_only) {
    LFM_PARSE_TRY(name, expectName());
    target = makeExpr(ExprKind::kName, start.pos);
    target->name = name;
  } else if (with_tuple) {
    LFM_PARSE_TRY(parsed, parseTuple(true, true, extra_end, false, with_namespace));
    target = std::move(parsed);
  } else {
    LFM_PARSE_TRY(parsed, parsePrimary(with_namespace));
    target = std::move(parsed);
  }
  if (!canAssign(*target)) return fail(start, "can't assign to this expression");
  return target;
}

absl::StatusOr<ExprPtr> Parser::parseExpression(bool with_condexpr) {
  if (with_condexpr) return parseCondExpr();
  return parseOr();
}

absl::StatusOr<ExprPtr> Parser::parseCondExpr() {
  DepthGuard guard(*this);
  if (guard.tooDeep()) return tooDeep(current());
  SourcePos pos = current().pos;
  LFM_PARSE_TRY(expr1, parseOr());
  while (skipName("if")) {
    LFM_PARSE_TRY(expr2, parseOr());
    ExprPtr expr3;
    if (skipName("else")) {
      LFM_PARSE_TRY(parsed, parseCondExpr());
      expr3 = std::move(parsed);
    }
    auto cond = makeExpr(ExprKind::kCondExpr, pos);
    cond->items.push_back(std::move(expr1));
    cond->items.push_back(std::move(expr2));
    cond->items.push_back(std::move(expr3));
    expr1 = std::move(cond);
    pos = current().pos;
  }
  return expr1;
}

absl::StatusOr<ExprPtr> Parser::parseOr() {
  LFM_PARSE_TRY(left, parseAnd());
  while (isName(current(), "or")) {
    SourcePos pos = next().pos;
    LFM_PARSE_TRY(right, parseAnd());
    auto node = makeExpr(ExprKind::kOr, pos);
    node->items.push_back(std::move(left));
    node->items.push_back(std::move(right));
    left = std::move(node);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::parseAnd() {
  LFM_PARSE_TRY(left, parseNot());
  while (isName(current(), "and")) {
    SourcePos pos = next().pos;
    LFM_PARSE_TRY(right, parseNot());
    auto node = makeExpr(ExprKind::kAnd, pos);
    node->items.push_back(std::move(left));
    node->items.push_back(std::move(right));
    left = std::move(node);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::parseNot() {
  if (isName(current(), "not")) {
    DepthGuard guard(*this);
    if (guard.tooDeep()) return tooDeep(current());
    SourcePos pos = next().pos;
    LFM_PARSE_TRY(operand, parseNot());
    auto node = makeExpr(ExprKind::kNot, pos);
    node->target = std::move(operand);
    return node;
  }
  return parseCompare();
}

absl::StatusOr<ExprPtr> Parser::parseCompare() {
  SourcePos pos = current().pos;
  LFM_PARSE_TRY(expr, parseMath1());
  ExprPtr node;
  while (true) {
    const Token &token = current();
    CompareOp op;
    if (isOp(token, "==")) {
      op = CompareOp::kEq;
    } else if (isOp(token, "!=")) {
      op = CompareOp::kNe;
    } else if (isOp(token, "<")) {
      op = CompareOp::kLt;
    } else if (isOp(token, "<=")) {
      op = CompareOp::kLe;
    } else if (isOp(token, ">")) {
      op = CompareOp::kGt;
    } else if (isOp(token, ">=")) {
      op = CompareOp::kGe;
    } else if (isName(token, "in")) {
      op = CompareOp::kIn;
    } else if (isName(token, "not") && isName(look(), "in")) {
      next();
      op = CompareOp::kNotIn;
    } else {
      break;
    }
    SourcePos op_pos = next().pos;
    if (!node) {
      node = makeExpr(ExprKind::kCompare, op_pos);
      node->items.push_back(std::move(expr));
    }
    LFM_PARSE_TRY(operand, parseMath1());
    node->compare_ops.push_back(op);
    node->items.push_back(std::move(operand));
  }
  (void)pos;
  if (!node) return expr;
  return node;
}

absl::StatusOr<ExprPtr> Parser::binary(ExprPtr left, ExprPtr right, BinaryOp op, SourcePos pos) {
  auto node = makeExpr(ExprKind::kBinary, pos);
  node->op = op;
  node->items.push_back(std::move(left));
  node->items.push_back(std::move(right));
  return node;
}

absl::StatusOr<ExprPtr> Parser::parseMath1() {
  LFM_PARSE_TRY(left, parseConcat());
  while (isOp(current(), "+") || isOp(current(), "-")) {
    const Token &token = next();
    BinaryOp op = token.text == "+" ? BinaryOp::kAdd : BinaryOp::kSub;
    LFM_PARSE_TRY(right, parseConcat());
    LFM_PARSE_TRY(node, binary(std::move(left), std::move(right), op, token.pos));
    left = std::move(node);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::parseConcat() {
  SourcePos pos = current().pos;
  LFM_PARSE_TRY(first, parseMath2());
  if (!isOp(current(), "~")) return first;
  auto node = makeExpr(ExprKind::kConcat, pos);
  node->items.push_back(std::move(first));
  while (skipOp("~")) {
    LFM_PARSE_TRY(item, parseMath2());
    node->items.push_back(std::move(item));
  }
  return node;
}

absl::StatusOr<ExprPtr> Parser::parseMath2() {
  LFM_PARSE_TRY(left, parsePow());
  while (true) {
    const Token &token = current();
    BinaryOp op;
    if (isOp(token, "*")) {
      op = BinaryOp::kMul;
    } else if (isOp(token, "/")) {
      op = BinaryOp::kDiv;
    } else if (isOp(token, "//")) {
      op = BinaryOp::kFloorDiv;
    } else if (isOp(token, "%")) {
      op = BinaryOp::kMod;
    } else {
      break;
    }
    SourcePos pos = next().pos;
    LFM_PARSE_TRY(right, parsePow());
    LFM_PARSE_TRY(node, binary(std::move(left), std::move(right), op, pos));
    left = std::move(node);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::parsePow() {
  LFM_PARSE_TRY(left, parseUnary(true));
  while (isOp(current(), "**")) {
    SourcePos pos = next().pos;
    LFM_PARSE_TRY(right, parseUnary(true));
    LFM_PARSE_TRY(node, binary(std::move(left), std::move(right), BinaryOp::kPow, pos));
    left = std::move(node);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::parseUnary(bool with_filter) {
  DepthGuard guard(*this);
  if (guard.tooDeep()) return tooDeep(current());
  ExprPtr node;
  if (isOp(current(), "-") || isOp(current(), "+")) {
    const Token &token = next();
    LFM_PARSE_TRY(operand, parseUnary(false));
    node = makeExpr(token.text == "-" ? ExprKind::kNeg : ExprKind::kPos, token.pos);
    node->target = std::move(operand);
  } else {
    LFM_PARSE_TRY(primary, parsePrimary(false));
    node = std::move(primary);
  }
  LFM_PARSE_TRY(postfix, parsePostfix(std::move(node)));
  node = std::move(postfix);
  if (with_filter) {
    LFM_PARSE_TRY(filtered, parseFilterExpr(std::move(node)));
    node = std::move(filtered);
  }
  return node;
}

absl::StatusOr<ExprPtr> Parser::parsePrimary(bool with_namespace) {
  DepthGuard guard(*this);
  if (guard.tooDeep()) return tooDeep(current());
  const Token &token = current();
  if (token.type == TokenType::kName) {
    next();
    auto node = makeExpr(ExprKind::kConst, token.pos);
    if (token.text == "true" || token.text == "True") {
      node->value = Value::boolean(true);
    } else if (token.text == "false" || token.text == "False") {
      node->value = Value::boolean(false);
    } else if (token.text == "none" || token.text == "None") {
      node->value = Value::none();
    } else if (with_namespace && isOp(current(), ".")) {
      next();
      LFM_PARSE_TRY(attr, expectName());
      node->kind = ExprKind::kNsRef;
      node->name = token.text;
      node->attr = attr;
    } else {
      node->kind = ExprKind::kName;
      node->name = token.text;
    }
    return node;
  }
  if (token.type == TokenType::kString) {
    auto node = makeExpr(ExprKind::kConst, token.pos);
    std::string text;
    while (current().type == TokenType::kString) text += next().text;
    node->value = Value::string(std::move(text));
    return node;
  }
  if (token.type == TokenType::kInteger || token.type == TokenType::kFloat) {
    next();
    auto node = makeExpr(ExprKind::kConst, token.pos);
    node->value = token.type == TokenType::kInteger ? Value::integer(token.int_value)
                                                    : Value::number(token.float_value);
    return node;
  }
  if (isOp(token, "(")) {
    next();
    LFM_PARSE_TRY(node, parseTuple(false, true, {}, true, false));
    if (absl::Status st = expectOp(")"); !st.ok()) return st;
    return node;
  }
  if (isOp(token, "[")) return parseList();
  if (isOp(token, "{")) return parseDict();
  if (token.type == TokenType::kEof) return failEof();
  return fail(token, "unexpected " + describe(token));
}

bool Parser::isTupleEnd(const std::vector<std::string> &extra_end) const {
  const Token &token = current();
  if (token.type == TokenType::kVariableEnd || token.type == TokenType::kBlockEnd ||
      isOp(token, ")"))
    return true;
  return token.type == TokenType::kName &&
         std::find(extra_end.begin(), extra_end.end(), token.text) != extra_end.end();
}

absl::StatusOr<ExprPtr> Parser::parseTuple(bool simplified, bool with_condexpr,
                                           const std::vector<std::string> &extra_end,
                                           bool explicit_parentheses, bool with_namespace) {
  SourcePos pos = current().pos;
  std::vector<ExprPtr> args;
  bool is_tuple = false;
  while (true) {
    if (!args.empty())
      if (absl::Status st = expectOp(","); !st.ok()) return st;
    if (isTupleEnd(extra_end)) break;
    absl::StatusOr<ExprPtr> item =
        simplified ? parsePrimary(with_namespace) : parseExpression(with_condexpr);
    if (!item.ok()) return item.status();
    args.push_back(std::move(item).value());
    if (isOp(current(), ",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!args.empty()) return std::move(args[0]);
    if (!explicit_parentheses) {
      if (current().type == TokenType::kEof) return failEof();
      return fail(current(), cat("expected an expression, got ", describe(current())));
    }
  }
  auto node = makeExpr(ExprKind::kTuple, pos);
  node->items = std::move(args);
  return node;
}

absl::StatusOr<ExprPtr> Parser::parseList() {
  auto node = makeExpr(ExprKind::kList, next().pos);
  while (!isOp(current(), "]")) {
    if (!node->items.empty())
      if (absl::Status st = expectOp(","); !st.ok()) return st;
    if (isOp(current(), "]")) break;
    LFM_PARSE_TRY(item, parseExpression(true));
    node->items.push_back(std::move(item));
  }
  if (absl::Status st = expectOp("]"); !st.ok()) return st;
  return node;
}

absl::StatusOr<ExprPtr> Parser::parseDict() {
  auto node = makeExpr(ExprKind::kDict, next().pos);
  while (!isOp(current(), "}")) {
    if (!node->items.empty())
      if (absl::Status st = expectOp(","); !st.ok()) return st;
    if (isOp(current(), "}")) break;
    LFM_PARSE_TRY(key, parseExpression(true));
    if (absl::Status st = expectOp(":"); !st.ok()) return st;
    LFM_PARSE_TRY(value, parseExpression(true));
    node->items.push_back(std::move(key));
    node->items.push_back(std::move(value));
  }
  if (absl::Status st = expectOp("}"); !st.ok()) return st;
  return node;
}

absl::StatusOr<ExprPtr> Parser::parsePostfix(ExprPtr node) {
  while (true) {
    if (isOp(current(), ".") || isOp(current(), "[")) {
      LFM_PARSE_TRY(sub, parseSubscript(std::move(node)));
      node = std::move(sub);
    } else if (isOp(current(), "(")) {
      LFM_PARSE_TRY(call, parseCall(std::move(node)));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

absl::StatusOr<ExprPtr> Parser::parseFilterExpr(ExprPtr node) {
  while (true) {
    if (isOp(current(), "|")) {
      LFM_PARSE_TRY(filtered, parseFilter(std::move(node), false));
      node = std::move(filtered);
    } else if (isName(current(), "is")) {
      LFM_PARSE_TRY(tested, parseTest(std::move(node)));
      node = std::move(tested);
    } else if (isOp(current(), "(")) {
      LFM_PARSE_TRY(call, parseCall(std::move(node)));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

absl::StatusOr<ExprPtr> Parser::parseSubscript(ExprPtr node) {
  const Token &token = next();
  if (token.text == ".") {
    const Token &attr = next();
    if (attr.type == TokenType::kName) {
      auto get = makeExpr(ExprKind::kGetAttr, token.pos);
      get->target = std::move(node);
      get->name = attr.text;
      return get;
    }
    if (attr.type != TokenType::kInteger) return fail(attr, "expected name or number");
    auto get = makeExpr(ExprKind::kGetItem, token.pos);
    get->target = std::move(node);
    auto index = makeExpr(ExprKind::kConst, attr.pos);
    index->value = Value::integer(attr.int_value);
    get->items.push_back(std::move(index));
    return get;
  }
  std::vector<ExprPtr> args;
  while (!isOp(current(), "]")) {
    if (!args.empty())
      if (absl::Status st = expectOp(","); !st.ok()) return st;
    LFM_PARSE_TRY(arg, parseSubscribed());
    args.push_back(std::move(arg));
  }
  if (absl::Status st = expectOp("]"); !st.ok()) return st;
  auto get = makeExpr(ExprKind::kGetItem, token.pos);
  get->target = std::move(node);
  if (args.size() == 1) {
    get->items.push_back(std::move(args[0]));
  } else {
    auto tuple = makeExpr(ExprKind::kTuple, token.pos);
    tuple->items = std::move(args);
    get->items.push_back(std::move(tuple));
  }
  return get;
}

absl::StatusOr<ExprPtr> Parser::parseSubscribed() {
  SourcePos pos = current().pos;
  std::vector<ExprPtr> args;
  if (isOp(current(), ":")) {
    next();
    args.push_back(nullptr);
  } else {
    LFM_PARSE_TRY(node, parseExpression(true));
    if (!isOp(current(), ":")) return node;
    next();
    args.push_back(std::move(node));
  }
  auto slice_end = [&] { return isOp(current(), "]") || isOp(current(), ","); };
  if (isOp(current(), ":")) {
    args.push_back(nullptr);
  } else if (!slice_end()) {
    LFM_PARSE_TRY(stop, parseExpression(true));
    args.push_back(std::move(stop));
  } else {
    args.push_back(nullptr);
  }
  if (isOp(current(), ":")) {
    next();
    if (!slice_end()) {
      LFM_PARSE_TRY(step, parseExpression(true));
      args.push_back(std::move(step));
    } else {
      args.push_back(nullptr);
    }
  } else {
    args.push_back(nullptr);
  }
  auto slice = makeExpr(ExprKind::kSlice, pos);
  slice->items = std::move(args);
  return slice;
}

absl::Status Parser::parseCallArgs(Expr &node) {
  const Token &open = current();
  if (absl::Status st = expectOp("("); !st.ok()) return st;
  bool require_comma = false;
  auto invalid = [&] { return fail(open, "invalid syntax for function call expression"); };
  while (!isOp(current(), ")")) {
    if (require_comma) {
      if (absl::Status st = expectOp(","); !st.ok()) return st;
      if (isOp(current(), ")")) break;
    }
    if (isOp(current(), "*")) {
      if (node.dyn_args || node.dyn_kwargs) return invalid();
      next();
      absl::StatusOr<ExprPtr> value = parseExpression(true);
      if (!value.ok()) return value.status();
      node.dyn_args = std::move(value).value();
    } else if (isOp(current(), "**")) {
      if (node.dyn_kwargs) return invalid();
      next();
      absl::StatusOr<ExprPtr> value = parseExpression(true);
      if (!value.ok()) return value.status();
      node.dyn_kwargs = std::move(value).value();
    } else if (current().type == TokenType::kName && isOp(look(), "=")) {
      if (node.dyn_kwargs) return invalid();
      std::string key = next().text;
      next();
      absl::StatusOr<ExprPtr> value = parseExpression(true);
      if (!value.ok()) return value.status();
      node.kwargs.emplace_back(std::move(key), std::move(value).value());
    } else {
      if (node.dyn_args || node.dyn_kwargs || !node.kwargs.empty()) return invalid();
      absl::StatusOr<ExprPtr> value = parseExpression(true);
      if (!value.ok()) return value.status();
      node.items.push_back(std::move(value).value());
    }
    require_comma = true;
  }
  return expectOp(")");
}

absl::StatusOr<ExprPtr> Parser::parseCall(ExprPtr callee) {
  // Errors of a call point at what is called (its first token).
  SourcePos pos = callee->pos;
  for (const Expr *start = callee.get(); start; start = start->target.get()) pos = start->pos;
  auto node = makeExpr(ExprKind::kCall, pos);
  node->target = std::move(callee);
  if (absl::Status st = parseCallArgs(*node); !st.ok()) return st;
  return node;
}

absl::StatusOr<std::string> Parser::dottedName() {
  LFM_PARSE_TRY(name, expectName());
  while (isOp(current(), ".")) {
    next();
    LFM_PARSE_TRY(part, expectName());
    name += "." + part;
  }
  return name;
}

absl::StatusOr<ExprPtr> Parser::parseFilter(ExprPtr node, bool start_inline) {
  while (isOp(current(), "|") || start_inline) {
    if (!start_inline) next();
    start_inline = false;
    const Token &token = current();
    LFM_PARSE_TRY(name, dottedName());
    auto filter = makeExpr(ExprKind::kFilter, token.pos);
    filter->name = name;
    filter->target = std::move(node);
    if (isOp(current(), "("))
      if (absl::Status st = parseCallArgs(*filter); !st.ok()) return st;
    node = std::move(filter);
  }
  return node;
}

absl::StatusOr<ExprPtr> Parser::parseTest(ExprPtr node) {
  const Token &is_token = next();
  bool negated = skipName("not");
  LFM_PARSE_TRY(name, dottedName());
  auto test = makeExpr(ExprKind::kTest, is_token.pos);
  test->name = name;
  test->target = std::move(node);
  const Token &arg = current();
  if (isOp(arg, "(")) {
    if (absl::Status st = parseCallArgs(*test); !st.ok()) return st;
  } else if ((arg.type == TokenType::kName || arg.type == TokenType::kString ||
              arg.type == TokenType::kInteger || arg.type == TokenType::kFloat || isOp(arg, "(") ||
              isOp(arg, "[") || isOp(arg, "{")) &&
             !isName(arg, "else") && !isName(arg, "or") && !isName(arg, "and")) {
    if (isName(arg, "is")) return fail(arg, "you cannot chain multiple tests with is");
    LFM_PARSE_TRY(primary, parsePrimary(false));
    LFM_PARSE_TRY(postfix, parsePostfix(std::move(primary)));
    test->items.push_back(std::move(postfix));
  }
  if (!negated) return test;
  auto inverted = makeExpr(ExprKind::kNot, is_token.pos);
  inverted->target = std::move(test);
  return inverted;
}

}  // namespace lfm::jinja
