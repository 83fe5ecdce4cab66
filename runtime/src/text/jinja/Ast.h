// The parsed template: jinja2's node types that the supported syntax needs.
// Built once by the parser and never changed, so renders share it.
#ifndef LFM_TEXT_JINJA_AST_H
#define LFM_TEXT_JINJA_AST_H

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "text/jinja/Errors.h"
#include "text/jinja/Value.h"

namespace lfm::jinja {

enum class ExprKind {
  kConst,     // value
  kName,      // name
  kNsRef,     // name.attr, only as an assignment target
  kGetAttr,   // target.name
  kGetItem,   // target[items[0]]
  kSlice,     // items: start, stop, step (each may be null)
  kCall,      // target(items..., kwargs..., *dyn_args, **dyn_kwargs)
  kFilter,    // target | name(args); target null inside a filter block
  kTest,      // target is name(args)
  kNeg,       // -target
  kPos,       // +target
  kNot,       // not target
  kBinary,    // items[0] op items[1]
  kAnd,       // items[0] and items[1]
  kOr,        // items[0] or items[1]
  kCompare,   // items[0] ops[0] items[1] ops[1] items[2] ...
  kConcat,    // items joined with ~
  kCondExpr,  // items: then, test, else (null: none)
  kList,
  kTuple,
  kDict,  // items: key, value, key, value, ...
};

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kConst;
  SourcePos pos;
  Value value;
  std::string name;
  std::string attr;
  BinaryOp op = BinaryOp::kAdd;
  std::vector<CompareOp> compare_ops;
  ExprPtr target;
  std::vector<ExprPtr> items;  // operands, positional arguments, elements
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  ExprPtr dyn_args;
  ExprPtr dyn_kwargs;
};

enum class StmtKind {
  kOutput,       // parts
  kIf,           // branches, else_body
  kFor,          // target in iter [if test], body, else_body
  kSet,          // target = value
  kSetBlock,     // target [| filter] = rendered body
  kMacro,        // macro
  kCallBlock,    // call with caller = macro
  kFilterBlock,  // rendered body | filter
  kWith,         // with_targets = with_values, body
  kScope,        // body in its own scope ({% generation %}, {% block %})
  kBreak,
  kContinue,
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct OutputPart {
  std::string text;  // template data, when expr is null
  ExprPtr expr;
};

struct IfBranch {
  ExprPtr test;
  Body body;
};

struct MacroDef {
  std::string name;
  SourcePos pos;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // of the last defaults.size() params
  Body body;
  // Whether the body reads these names (jinja2 then accepts extra
  // positional arguments, extra keyword arguments, a caller).
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
};

struct Stmt {
  StmtKind kind = StmtKind::kOutput;
  SourcePos pos;
  std::vector<OutputPart> parts;
  std::vector<IfBranch> branches;
  Body body;
  Body else_body;
  ExprPtr target;
  ExprPtr iter;
  ExprPtr test;
  ExprPtr value;
  ExprPtr filter;  // a kFilter chain whose innermost target is null
  std::unique_ptr<MacroDef> macro;
  std::vector<ExprPtr> with_targets;
  std::vector<ExprPtr> with_values;
};

struct TemplateAst {
  std::string origin;
  Body body;
};

}  // namespace lfm::jinja

#endif  // LFM_TEXT_JINJA_AST_H
