// A {% macro %} (or a {% call %} block's caller) as a callable value: it
// renders its body in a frame over the scope it was defined in, with its
// parameters bound as jinja2 binds them (missing ones Undefined, defaults
// evaluated at the call, varargs/kwargs when the body reads them).
#ifndef LFM_TEXT_JINJA_MACRO_H
#define LFM_TEXT_JINJA_MACRO_H

#include "text/jinja/Ast.h"
#include "text/jinja/Frame.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

class Macro : public Object {
 public:
  Macro(const MacroDef *def, FramePtr closure) : def_(def), closure_(std::move(closure)) {}

  std::string typeName() const override { return "Macro"; }
  std::string repr() const override;
  Value getAttr(std::string_view name) const override;
  bool callable() const override { return true; }
  absl::StatusOr<Value> call(Interpreter &interpreter, CallArgs &args) const override;
  void release() override { closure_.reset(); }

 private:
  const MacroDef *def_;
  FramePtr closure_;
};

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_MACRO_H
