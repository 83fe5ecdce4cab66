#include "text/jinja/Interpreter.h"

#include "text/jinja/Builtins.h"
#include "text/jinja/Errors.h"
#include "text/jinja/Limits.h"
#include "text/jinja/Loop.h"
#include "text/jinja/Macro.h"
#include "text/jinja/Namespace.h"
#include "text/jinja/Operators.h"
#include "text/jinja/PyRepr.h"
#include "text/jinja/Strings.h"

namespace lfm::jinja {

bool Interpreter::DepthGuard::tooDeep() const { return depth_ > kMaxEvalDepth; }

Interpreter::Interpreter(std::shared_ptr<const TemplateAst> ast, Value context)
    : ast_(std::move(ast)), context_(std::move(context)) {}

Interpreter::~Interpreter() {
  // Namespaces and macros can reference themselves through their values;
  // emptying them frees the cycles. Each is still held by tracked_ while
  // others are emptied, so nothing is freed recursively here.
  for (const auto &object : tracked_) object->release();
}

void Interpreter::track(std::shared_ptr<Object> object) { tracked_.push_back(std::move(object)); }

absl::Status Interpreter::step() {
  if (++steps_ > kMaxSteps) return limitError(cat("render took more than ", kMaxSteps, " steps"));
  return absl::OkStatus();
}

absl::Status Interpreter::chargeBuilt(size_t bytes) {
  built_bytes_ += static_cast<int64_t>(bytes);
  if (built_bytes_ > kMaxBuiltBytes)
    return limitError(cat("render built more than ", kMaxBuiltBytes, " bytes of strings"));
  return absl::OkStatus();
}

absl::Status Interpreter::countIterations(size_t count) {
  iterations_ += static_cast<int64_t>(count);
  if (iterations_ > kMaxLoopIterations)
    return limitError(cat("render ran more than ", kMaxLoopIterations, " loop iterations"));
  return absl::OkStatus();
}

absl::StatusOr<std::string> Interpreter::render() {
  auto root = std::make_shared<Frame>();
  std::string out;
  absl::StatusOr<Flow> flow = execBody(ast_->body, root, out);
  if (!flow.ok()) return flow.status();
  return out;
}

Value Interpreter::lookup(const std::string &name, const Frame &frame) const {
  if (const Value *value = frame.find(name)) return *value;
  if (context_.isDict())
    if (const Value *value = context_.dictData().find(name)) return *value;
  if (const Value *value = findGlobal(name)) return *value;
  return Value::undefined(cat("'", name, "' is undefined"));
}

absl::Status Interpreter::append(std::string &out, const Value &value) {
  size_t before = out.size();
  if (absl::Status st = appendStr(out, value); !st.ok()) return st;
  if (out.size() > kMaxOutputBytes)
    return limitError(cat("output longer than ", kMaxOutputBytes, " bytes"));
  return chargeBuilt(out.size() - before);
}

absl::StatusOr<Interpreter::Flow> Interpreter::execBody(const Body &body, const FramePtr &frame,
                                                        std::string &out) {
  for (const StmtPtr &stmt : body) {
    absl::StatusOr<Flow> flow = exec(*stmt, frame, out);
    if (!flow.ok() || *flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

absl::StatusOr<Interpreter::Flow> Interpreter::exec(const Stmt &stmt, const FramePtr &frame,
                                                    std::string &out) {
  DepthGuard guard(depth_);
  absl::StatusOr<Flow> flow;
  if (guard.tooDeep()) {
    flow = limitError(
        cat("template nested deeper than ", kMaxEvalDepth, " levels at run time (recursion?)"));
  } else if (absl::Status st = step(); !st.ok()) {
    flow = st;
  } else {
    flow = execStmt(stmt, frame, out);
  }
  if (!flow.ok()) return withLocation(flow.status(), ast_->origin, stmt.pos);
  return flow;
}

absl::StatusOr<Interpreter::Flow> Interpreter::execStmt(const Stmt &stmt, const FramePtr &frame,
                                                        std::string &out) {
  switch (stmt.kind) {
    case StmtKind::kOutput:
      for (const OutputPart &part : stmt.parts) {
        if (!part.expr) {
          out += part.text;
          if (out.size() > kMaxOutputBytes)
            return limitError(cat("output longer than ", kMaxOutputBytes, " bytes"));
          if (absl::Status st = chargeBuilt(part.text.size()); !st.ok()) return st;
          continue;
        }
        absl::StatusOr<Value> value = eval(*part.expr, frame);
        if (!value.ok()) return value.status();
        if (absl::Status st = append(out, *value); !st.ok())
          return withLocation(st, ast_->origin, part.expr->pos);
      }
      return Flow::kNormal;
    case StmtKind::kIf:
      for (const IfBranch &branch : stmt.branches) {
        absl::StatusOr<Value> test = eval(*branch.test, frame);
        if (!test.ok()) return test.status();
        if (test->truthy()) return execBody(branch.body, frame, out);
      }
      return execBody(stmt.else_body, frame, out);
    case StmtKind::kFor:
      return execFor(stmt, frame, out);
    case StmtKind::kSet: {
      absl::StatusOr<Value> value = eval(*stmt.value, frame);
      if (!value.ok()) return value.status();
      if (absl::Status st = assign(*stmt.target, *value, frame); !st.ok()) return st;
      return Flow::kNormal;
    }
    case StmtKind::kSetBlock:
    case StmtKind::kFilterBlock: {
      auto inner = std::make_shared<Frame>(frame);
      std::string buffer;
      absl::StatusOr<Flow> flow = execBody(stmt.body, inner, buffer);
      if (!flow.ok() || *flow != Flow::kNormal) return flow;
      Value value = Value::string(std::move(buffer));
      if (stmt.filter) {
        absl::StatusOr<Value> filtered = evalFilter(*stmt.filter, frame, value);
        if (!filtered.ok()) return filtered.status();
        value = *filtered;
      }
      if (stmt.kind == StmtKind::kFilterBlock) {
        if (absl::Status st = append(out, value); !st.ok()) return st;
      } else if (absl::Status st = assign(*stmt.target, value, frame); !st.ok()) {
        return st;
      }
      return Flow::kNormal;
    }
    case StmtKind::kMacro: {
      auto macro = std::make_shared<Macro>(stmt.macro.get(), frame);
      track(macro);
      frame->vars[stmt.macro->name] = Value::object(std::move(macro));
      return Flow::kNormal;
    }
    case StmtKind::kCallBlock: {
      auto caller = std::make_shared<Macro>(stmt.macro.get(), frame);
      track(caller);
      const Expr &call = *stmt.value;
      absl::StatusOr<Value> callee = eval(*call.target, frame);
      if (!callee.ok()) return callee.status();
      absl::StatusOr<CallArgs> args = evalArgs(call, frame);
      if (!args.ok()) return args.status();
      args->keyword.emplace_back("caller", Value::object(std::move(caller)));
      absl::StatusOr<Value> result = callValue(*callee, *args);
      if (!result.ok()) return withLocation(result.status(), ast_->origin, call.pos);
      if (absl::Status st = append(out, *result); !st.ok()) return st;
      return Flow::kNormal;
    }
    case StmtKind::kWith: {
      auto inner = std::make_shared<Frame>(frame);
      for (size_t i = 0; i < stmt.with_targets.size(); ++i) {
        absl::StatusOr<Value> value = eval(*stmt.with_values[i], frame);
        if (!value.ok()) return value.status();
        if (absl::Status st = assign(*stmt.with_targets[i], *value, inner); !st.ok()) return st;
      }
      return execBody(stmt.body, inner, out);
    }
    case StmtKind::kScope:
      return execBody(stmt.body, std::make_shared<Frame>(frame), out);
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
  }
  return Flow::kNormal;
}

absl::StatusOr<Interpreter::Flow> Interpreter::execFor(const Stmt &stmt, const FramePtr &frame,
                                                       std::string &out) {
  absl::StatusOr<Value> iterable = eval(*stmt.iter, frame);
  if (!iterable.ok()) return iterable.status();
  absl::StatusOr<std::vector<Value>> all = iterate(*iterable);
  if (!all.ok()) return withLocation(all.status(), ast_->origin, stmt.iter->pos);
  if (absl::Status st = countIterations(all->size()); !st.ok()) return st;
  auto items = std::make_shared<std::vector<Value>>();
  if (stmt.test) {
    for (const Value &item : *all) {
      auto scratch = std::make_shared<Frame>(frame);
      if (absl::Status st = assign(*stmt.target, item, scratch); !st.ok()) return st;
      absl::StatusOr<Value> keep = eval(*stmt.test, scratch);
      if (!keep.ok()) return keep.status();
      if (keep->truthy()) items->push_back(item);
    }
  } else {
    *items = std::move(*all);
  }
  if (items->empty()) return execBody(stmt.else_body, frame, out);
  auto loop = std::make_shared<LoopContext>(items);
  Value loop_value = Value::object(loop);
  for (size_t i = 0; i < items->size(); ++i) {
    auto inner = std::make_shared<Frame>(frame);
    if (absl::Status st = assign(*stmt.target, (*items)[i], inner); !st.ok()) return st;
    inner->vars["loop"] = loop_value;
    loop->setIndex(i);
    absl::StatusOr<Flow> flow = execBody(stmt.body, inner, out);
    if (!flow.ok()) return flow.status();
    if (*flow == Flow::kBreak) break;
  }
  return Flow::kNormal;
}

absl::Status Interpreter::assign(const Expr &target, const Value &value, const FramePtr &frame) {
  switch (target.kind) {
    case ExprKind::kName:
      frame->vars[target.name] = value;
      return absl::OkStatus();
    case ExprKind::kNsRef: {
      Value ns = lookup(target.name, *frame);
      auto *object = ns.isObject() ? dynamic_cast<Namespace *>(ns.object()) : nullptr;
      if (!object)
        return withLocation(templateError(cat("cannot assign attribute on non-namespace object '",
                                              target.name, "'")),
                            ast_->origin, target.pos);
      return withLocation(object->setAttr(target.attr, value), ast_->origin, target.pos);
    }
    case ExprKind::kTuple: {
      absl::StatusOr<std::vector<Value>> items = iterate(value);
      if (!items.ok()) {
        if (value.isObject() || value.isNumber() || value.isNone())
          return withLocation(
              templateError(cat("cannot unpack non-iterable ", value.typeName(), " object")),
              ast_->origin, target.pos);
        return withLocation(items.status(), ast_->origin, target.pos);
      }
      if (items->size() < target.items.size())
        return withLocation(templateError(cat("not enough values to unpack (expected ",
                                              target.items.size(), ", got ", items->size(), ")")),
                            ast_->origin, target.pos);
      if (items->size() > target.items.size())
        return withLocation(
            templateError(cat("too many values to unpack (expected ", target.items.size(), ")")),
            ast_->origin, target.pos);
      for (size_t i = 0; i < items->size(); ++i)
        if (absl::Status st = assign(*target.items[i], (*items)[i], frame); !st.ok()) return st;
      return absl::OkStatus();
    }
    default:
      return withLocation(templateError("can't assign to this expression"), ast_->origin,
                          target.pos);
  }
}

}  // namespace lfm::jinja
