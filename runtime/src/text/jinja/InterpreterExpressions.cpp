// The Interpreter's expressions: each node evaluated with Python's
// semantics, errors located at the node, built strings and lists counted.
#include "text/jinja/Interpreter.h"

#include "text/jinja/Access.h"
#include "text/jinja/Errors.h"
#include "text/jinja/Filters.h"
#include "text/jinja/Limits.h"
#include "text/jinja/Operators.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Tests.h"

namespace lfm::jinja {

absl::StatusOr<Value> Interpreter::eval(const Expr &expr, const FramePtr &frame) {
  DepthGuard guard(depth_);
  absl::StatusOr<Value> value;
  if (guard.tooDeep()) {
    value = limitError(
        cat("template nested deeper than ", kMaxEvalDepth, " levels at run time (recursion?)"));
  } else if (absl::Status st = step(); !st.ok()) {
    value = st;
  } else {
    value = evalExpr(expr, frame);
  }
  if (!value.ok()) return withLocation(value.status(), ast_->origin, expr.pos);
  // Strings and lists that an operation built count against the budget
  // (names, constants and lookups share what exists).
  switch (expr.kind) {
    case ExprKind::kBinary:
    case ExprKind::kConcat:
    case ExprKind::kFilter:
    case ExprKind::kCall: {
      size_t bytes = value->isString()          ? value->str().size()
                     : value->isSequenceValue() ? value->items().size() * sizeof(Value)
                                                : 0;
      if (absl::Status st = chargeBuilt(bytes); !st.ok())
        return withLocation(st, ast_->origin, expr.pos);
      break;
    }
    default:
      break;
  }
  return value;
}

absl::StatusOr<Value> Interpreter::evalFilter(const Expr &expr, const FramePtr &frame,
                                              const Value &hole) {
  Value subject = hole;
  if (expr.target) {
    absl::StatusOr<Value> value = expr.target->kind == ExprKind::kFilter
                                      ? evalFilter(*expr.target, frame, hole)
                                      : eval(*expr.target, frame);
    if (!value.ok()) return value.status();
    subject = *std::move(value);
  }
  absl::StatusOr<CallArgs> args = evalArgs(expr, frame);
  if (!args.ok()) return args.status();
  absl::StatusOr<Value> result = applyFilter(*this, expr.name, subject, *args);
  if (!result.ok()) return withLocation(result.status(), ast_->origin, expr.pos);
  return result;
}

absl::StatusOr<Value> Interpreter::evalExpr(const Expr &expr, const FramePtr &frame) {
  switch (expr.kind) {
    case ExprKind::kConst:
      return expr.value;
    case ExprKind::kName:
      return lookup(expr.name, *frame);
    case ExprKind::kNsRef:
      return templateError("a namespace reference can only be assigned to");
    case ExprKind::kGetAttr: {
      absl::StatusOr<Value> object = eval(*expr.target, frame);
      if (!object.ok()) return object.status();
      return getAttr(*object, expr.name);
    }
    case ExprKind::kGetItem: {
      absl::StatusOr<Value> object = eval(*expr.target, frame);
      if (!object.ok()) return object.status();
      const Expr &key = *expr.items[0];
      if (key.kind == ExprKind::kSlice) {
        Value bounds[3] = {Value::none(), Value::none(), Value::none()};
        for (size_t i = 0; i < 3; ++i) {
          if (!key.items[i]) continue;
          absl::StatusOr<Value> bound = eval(*key.items[i], frame);
          if (!bound.ok()) return bound.status();
          bounds[i] = *bound;
        }
        return getSlice(*object, bounds[0], bounds[1], bounds[2]);
      }
      absl::StatusOr<Value> index = eval(key, frame);
      if (!index.ok()) return index.status();
      return getItem(*object, *index);
    }
    case ExprKind::kSlice:
      return templateError("a slice is only allowed inside []");
    case ExprKind::kCall: {
      absl::StatusOr<Value> callee = eval(*expr.target, frame);
      if (!callee.ok()) return callee.status();
      absl::StatusOr<CallArgs> args = evalArgs(expr, frame);
      if (!args.ok()) return args.status();
      return callValue(*callee, *args);
    }
    case ExprKind::kFilter:
      return evalFilter(expr, frame, Value());
    case ExprKind::kTest: {
      absl::StatusOr<Value> subject = eval(*expr.target, frame);
      if (!subject.ok()) return subject.status();
      absl::StatusOr<CallArgs> args = evalArgs(expr, frame);
      if (!args.ok()) return args.status();
      absl::StatusOr<bool> result = applyTest(*this, expr.name, *subject, *args);
      if (!result.ok()) return result.status();
      return Value::boolean(*result);
    }
    case ExprKind::kNeg:
    case ExprKind::kPos: {
      absl::StatusOr<Value> operand = eval(*expr.target, frame);
      if (!operand.ok()) return operand.status();
      return expr.kind == ExprKind::kNeg ? negate(*operand) : unaryPlus(*operand);
    }
    case ExprKind::kNot: {
      absl::StatusOr<Value> operand = eval(*expr.target, frame);
      if (!operand.ok()) return operand.status();
      return Value::boolean(!operand->truthy());
    }
    case ExprKind::kBinary: {
      absl::StatusOr<Value> left = eval(*expr.items[0], frame);
      if (!left.ok()) return left.status();
      absl::StatusOr<Value> right = eval(*expr.items[1], frame);
      if (!right.ok()) return right.status();
      return binaryOp(expr.op, *left, *right);
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      absl::StatusOr<Value> left = eval(*expr.items[0], frame);
      if (!left.ok()) return left.status();
      if (left->truthy() == (expr.kind == ExprKind::kOr)) return left;
      return eval(*expr.items[1], frame);
    }
    case ExprKind::kCompare: {
      absl::StatusOr<Value> left = eval(*expr.items[0], frame);
      if (!left.ok()) return left.status();
      for (size_t i = 0; i < expr.compare_ops.size(); ++i) {
        absl::StatusOr<Value> right = eval(*expr.items[i + 1], frame);
        if (!right.ok()) return right.status();
        absl::StatusOr<bool> result = compareOp(expr.compare_ops[i], *left, *right);
        if (!result.ok()) return result.status();
        if (!*result) return Value::boolean(false);
        left = std::move(right);
      }
      return Value::boolean(true);
    }
    case ExprKind::kConcat: {
      std::string out;
      for (const ExprPtr &item : expr.items) {
        absl::StatusOr<Value> value = eval(*item, frame);
        if (!value.ok()) return value.status();
        if (absl::Status st = appendStr(out, *value); !st.ok()) return st;
        if (out.size() > kMaxOutputBytes)
          return limitError(cat("string longer than ", kMaxOutputBytes, " bytes"));
      }
      return Value::string(std::move(out));
    }
    case ExprKind::kCondExpr: {
      absl::StatusOr<Value> test = eval(*expr.items[1], frame);
      if (!test.ok()) return test.status();
      if (test->truthy()) return eval(*expr.items[0], frame);
      if (expr.items[2]) return eval(*expr.items[2], frame);
      return Value::undefined(cat("the inline if-expression on line ", expr.pos.line,
                                  " evaluated to false and no else section was defined"));
    }
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      items.reserve(expr.items.size());
      for (const ExprPtr &item : expr.items) {
        absl::StatusOr<Value> value = eval(*item, frame);
        if (!value.ok()) return value.status();
        items.push_back(*std::move(value));
      }
      Value result = expr.kind == ExprKind::kList ? Value::list(std::move(items))
                                                  : Value::tuple(std::move(items));
      if (result.depth() > kMaxValueDepth)
        return limitError(cat("value nested deeper than ", kMaxValueDepth));
      return result;
    }
    case ExprKind::kDict: {
      DictData dict;
      for (size_t i = 0; i + 1 < expr.items.size(); i += 2) {
        absl::StatusOr<Value> key = eval(*expr.items[i], frame);
        if (!key.ok()) return key.status();
        absl::StatusOr<Value> value = eval(*expr.items[i + 1], frame);
        if (!value.ok()) return value.status();
        if (absl::Status st = dict.set(*key, *value); !st.ok()) return st;
      }
      Value result = Value::dict(std::move(dict));
      if (result.depth() > kMaxValueDepth)
        return limitError(cat("value nested deeper than ", kMaxValueDepth));
      return result;
    }
  }
  return templateError("unknown expression");
}

}  // namespace lfm::jinja
