// The Interpreter's calls: callables, filters and tests by name, macros
// (parameter binding as jinja2 does it) and call arguments.
#include "text/jinja/Interpreter.h"

#include "text/jinja/Errors.h"
#include "text/jinja/Filters.h"
#include "text/jinja/Limits.h"
#include "text/jinja/Operators.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Tests.h"

namespace lfm::jinja {

absl::StatusOr<Value> Interpreter::callValue(const Value &callee, CallArgs &args) {
  if (callee.isUndefined()) return undefinedError(callee);
  if (callee.isObject() && callee.object()->callable()) return callee.object()->call(*this, args);
  return templateError(cat("'", callee.typeName(), "' object is not callable"));
}

absl::StatusOr<Value> Interpreter::callFilter(std::string_view name, const Value &subject,
                                              CallArgs &args) {
  if (!hasFilter(name)) return templateError(cat("no filter named '", name, "'"));
  return applyFilter(*this, name, subject, args);
}

absl::StatusOr<bool> Interpreter::callTest(std::string_view name, const Value &subject,
                                           CallArgs &args) {
  if (!hasTest(name)) return templateError(cat("no test named '", name, "'"));
  return applyTest(*this, name, subject, args);
}

absl::StatusOr<Value> Interpreter::callMacro(const MacroDef &macro, const FramePtr &closure,
                                             CallArgs &args) {
  if (macro_depth_ >= kMaxMacroDepth)
    return limitError(cat("macro calls nested deeper than ", kMaxMacroDepth, " (recursion?)"));
  auto frame = std::make_shared<Frame>(closure);
  size_t count = macro.params.size();
  std::vector<bool> given(count, false);
  for (size_t i = 0; i < count && i < args.positional.size(); ++i) {
    frame->vars[macro.params[i]] = args.positional[i];
    given[i] = true;
  }
  DictData extra_kwargs;
  Value caller;
  bool has_caller = false;
  for (auto &[key, value] : args.keyword) {
    bool bound = false;
    for (size_t i = 0; i < count; ++i) {
      if (macro.params[i] != key) continue;
      if (given[i])
        return templateError(
            cat("macro '", macro.name, "' got multiple values for argument '", key, "'"));
      frame->vars[key] = value;
      given[i] = true;
      bound = true;
    }
    if (bound) continue;
    if (key == "caller" && macro.uses_caller) {
      caller = value;
      has_caller = true;
    } else if (macro.uses_kwargs) {
      if (absl::Status st = extra_kwargs.set(Value::string(key), value); !st.ok()) return st;
    } else {
      return templateError(cat("macro '", macro.name, "' takes no keyword argument '", key, "'"));
    }
  }
  if (args.positional.size() > count && !macro.uses_varargs)
    return templateError(
        cat("macro '", macro.name, "' takes not more than ", count, " argument(s)"));
  // Defaults are evaluated at the call, in the macro's frame (they may read
  // earlier parameters).
  size_t first_default = count - macro.defaults.size();
  for (size_t i = 0; i < count; ++i) {
    if (given[i]) continue;
    if (i >= first_default) {
      absl::StatusOr<Value> value = eval(*macro.defaults[i - first_default], frame);
      if (!value.ok()) return value.status();
      frame->vars[macro.params[i]] = *value;
    } else {
      frame->vars[macro.params[i]] =
          Value::undefined(cat("parameter '", macro.params[i], "' was not provided"));
    }
  }
  if (macro.uses_caller && frame->vars.find("caller") == frame->vars.end())
    frame->vars["caller"] = has_caller ? caller : Value::undefined("No caller defined");
  if (macro.uses_kwargs) frame->vars["kwargs"] = Value::dict(std::move(extra_kwargs));
  if (macro.uses_varargs) {
    std::vector<Value> rest;
    for (size_t i = count; i < args.positional.size(); ++i) rest.push_back(args.positional[i]);
    frame->vars["varargs"] = Value::tuple(std::move(rest));
  }
  ++macro_depth_;
  std::string out;
  absl::StatusOr<Flow> flow = execBody(macro.body, frame, out);
  --macro_depth_;
  if (!flow.ok()) return flow.status();
  return Value::string(std::move(out));
}

absl::StatusOr<CallArgs> Interpreter::evalArgs(const Expr &expr, const FramePtr &frame) {
  CallArgs args;
  for (const ExprPtr &item : expr.items) {
    absl::StatusOr<Value> value = eval(*item, frame);
    if (!value.ok()) return value.status();
    args.positional.push_back(*std::move(value));
  }
  if (expr.dyn_args) {
    absl::StatusOr<Value> value = eval(*expr.dyn_args, frame);
    if (!value.ok()) return value.status();
    absl::StatusOr<std::vector<Value>> items = iterate(*value);
    if (!items.ok()) return withLocation(items.status(), ast_->origin, expr.dyn_args->pos);
    args.positional.insert(args.positional.end(), items->begin(), items->end());
  }
  for (const auto &[key, item] : expr.kwargs) {
    absl::StatusOr<Value> value = eval(*item, frame);
    if (!value.ok()) return value.status();
    args.keyword.emplace_back(key, *std::move(value));
  }
  if (expr.dyn_kwargs) {
    absl::StatusOr<Value> value = eval(*expr.dyn_kwargs, frame);
    if (!value.ok()) return value.status();
    if (!value->isDict())
      return withLocation(templateError("argument after ** must be a mapping"), ast_->origin,
                          expr.dyn_kwargs->pos);
    for (const auto &[key, item] : value->dictData().entries()) {
      if (!key.isString())
        return withLocation(templateError("keywords must be strings"), ast_->origin,
                            expr.dyn_kwargs->pos);
      args.keyword.emplace_back(key.str(), item);
    }
  }
  return args;
}

}  // namespace lfm::jinja
