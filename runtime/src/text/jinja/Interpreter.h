// Renders a parsed template against a context, as jinja2 executes it:
// statements write to the output, expressions evaluate to values, names
// resolve through the frames, then the context, then the globals. Every
// render counts its steps, loop iterations, nesting, macro depth and
// output against Limits.h, and fails with a located error past them.
#ifndef LFM_TEXT_JINJA_INTERPRETER_H
#define LFM_TEXT_JINJA_INTERPRETER_H

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "text/jinja/Ast.h"
#include "text/jinja/Frame.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

class Interpreter {
 public:
  // `context` is a dict value (the template's variables).
  Interpreter(std::shared_ptr<const TemplateAst> ast, Value context);
  ~Interpreter();
  Interpreter(const Interpreter &) = delete;
  Interpreter &operator=(const Interpreter &) = delete;

  absl::StatusOr<std::string> render();

  // For builtins, filters, tests and objects.
  absl::StatusOr<Value> callValue(const Value &callee, CallArgs &args);
  absl::StatusOr<Value> callFilter(std::string_view name, const Value &subject, CallArgs &args);
  absl::StatusOr<bool> callTest(std::string_view name, const Value &subject, CallArgs &args);
  absl::StatusOr<Value> callMacro(const MacroDef &macro, const FramePtr &closure, CallArgs &args);
  // Objects whose references are dropped when the render ends (cycles).
  void track(std::shared_ptr<Object> object);
  // Counts bytes of strings built against kMaxBuiltBytes.
  absl::Status chargeBuilt(size_t bytes);
  absl::Status countIterations(size_t count);

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  // Counts nested evaluations against kMaxEvalDepth.
  class DepthGuard {
   public:
    explicit DepthGuard(int &depth) : depth_(depth) { ++depth_; }
    ~DepthGuard() { --depth_; }
    bool tooDeep() const;

   private:
    int &depth_;
  };

  absl::StatusOr<Flow> execBody(const Body &body, const FramePtr &frame, std::string &out);
  absl::StatusOr<Flow> exec(const Stmt &stmt, const FramePtr &frame, std::string &out);
  absl::StatusOr<Flow> execStmt(const Stmt &stmt, const FramePtr &frame, std::string &out);
  absl::StatusOr<Flow> execFor(const Stmt &stmt, const FramePtr &frame, std::string &out);
  absl::Status assign(const Expr &target, const Value &value, const FramePtr &frame);
  absl::Status append(std::string &out, const Value &value);

  absl::StatusOr<Value> eval(const Expr &expr, const FramePtr &frame);
  absl::StatusOr<Value> evalExpr(const Expr &expr, const FramePtr &frame);
  absl::StatusOr<Value> evalFilter(const Expr &expr, const FramePtr &frame, const Value &hole);
  absl::StatusOr<CallArgs> evalArgs(const Expr &expr, const FramePtr &frame);
  Value lookup(const std::string &name, const Frame &frame) const;
  absl::Status step();

  std::shared_ptr<const TemplateAst> ast_;
  Value context_;
  std::vector<std::shared_ptr<Object>> tracked_;
  int64_t steps_ = 0;
  int64_t iterations_ = 0;
  int64_t built_bytes_ = 0;
  int depth_ = 0;
  int macro_depth_ = 0;
};

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_INTERPRETER_H
