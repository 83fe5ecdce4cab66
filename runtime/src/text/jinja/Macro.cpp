#include "text/jinja/Macro.h"

#include "text/jinja/Interpreter.h"
#include "text/jinja/Strings.h"

namespace lfm::jinja {

std::string Macro::repr() const { return cat("<Macro '", def_->name, "'>"); }

Value Macro::getAttr(std::string_view name) const {
  if (name == "name") return Value::string(def_->name);
  if (name == "arguments") {
    std::vector<Value> params;
    for (const std::string &param : def_->params) params.push_back(Value::string(param));
    return Value::tuple(std::move(params));
  }
  if (name == "catch_kwargs") return Value::boolean(def_->uses_kwargs);
  if (name == "catch_varargs") return Value::boolean(def_->uses_varargs);
  if (name == "caller") return Value::boolean(def_->uses_caller);
  return Object::getAttr(name);
}

absl::StatusOr<Value> Macro::call(Interpreter &interpreter, CallArgs &args) const {
  if (!closure_) return absl::FailedPreconditionError("macro called after its render ended");
  return interpreter.callMacro(*def_, closure_, args);
}

}  // namespace lfm::jinja
