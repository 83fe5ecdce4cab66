#include "text/jinja/CheckNames.h"

#include "text/jinja/Errors.h"
#include "text/jinja/Filters.h"
#include "text/jinja/Strings.h"
#include "text/jinja/Tests.h"

namespace lfm::jinja {
namespace {

class NameChecker {
 public:
  explicit NameChecker(const std::string &origin) : origin_(origin) {}

  absl::Status body(const Body &statements, bool soft) {
    for (const StmtPtr &stmt : statements)
      if (absl::Status st = statement(*stmt, soft); !st.ok()) return st;
    return absl::OkStatus();
  }

 private:
  absl::Status expr(const Expr *node, bool soft) {
    if (!node) return absl::OkStatus();
    if (!soft && node->kind == ExprKind::kFilter && !hasFilter(node->name))
      return locatedError(absl::StatusCode::kInvalidArgument, origin_, node->pos,
                          cat("no filter named '", node->name, "'"));
    if (!soft && node->kind == ExprKind::kTest && !hasTest(node->name))
      return locatedError(absl::StatusCode::kInvalidArgument, origin_, node->pos,
                          cat("no test named '", node->name, "'"));
    bool inner_soft = soft || node->kind == ExprKind::kCondExpr;
    for (const Expr *child : {node->target.get(), node->dyn_args.get(), node->dyn_kwargs.get()})
      if (absl::Status st = expr(child, inner_soft); !st.ok()) return st;
    for (const ExprPtr &item : node->items)
      if (absl::Status st = expr(item.get(), inner_soft); !st.ok()) return st;
    for (const auto &kw : node->kwargs)
      if (absl::Status st = expr(kw.second.get(), inner_soft); !st.ok()) return st;
    return absl::OkStatus();
  }

  absl::Status macro(const MacroDef &def) {
    for (const ExprPtr &value : def.defaults)
      if (absl::Status st = expr(value.get(), false); !st.ok()) return st;
    return body(def.body, false);
  }

  // What jinja2's compiler does with each statement's frame: an {% if %}
  // is soft; loops, macros and blocks open inner frames, which are not.
  absl::Status statement(const Stmt &stmt, bool soft) {
    switch (stmt.kind) {
      case StmtKind::kOutput:
        for (const OutputPart &part : stmt.parts)
          if (absl::Status st = expr(part.expr.get(), soft); !st.ok()) return st;
        return absl::OkStatus();
      case StmtKind::kIf:
        for (const IfBranch &branch : stmt.branches) {
          if (absl::Status st = expr(branch.test.get(), true); !st.ok()) return st;
          if (absl::Status st = body(branch.body, true); !st.ok()) return st;
        }
        return body(stmt.else_body, true);
      case StmtKind::kFor:
        if (absl::Status st = expr(stmt.iter.get(), soft); !st.ok()) return st;
        if (absl::Status st = expr(stmt.test.get(), false); !st.ok()) return st;
        if (absl::Status st = body(stmt.body, false); !st.ok()) return st;
        return body(stmt.else_body, false);
      case StmtKind::kSet:
        return expr(stmt.value.get(), soft);
      case StmtKind::kSetBlock:
      case StmtKind::kFilterBlock:
        if (absl::Status st = expr(stmt.filter.get(), false); !st.ok()) return st;
        return body(stmt.body, false);
      case StmtKind::kMacro:
        return macro(*stmt.macro);
      case StmtKind::kCallBlock:
        if (absl::Status st = expr(stmt.value.get(), soft); !st.ok()) return st;
        return macro(*stmt.macro);
      case StmtKind::kWith:
        for (const ExprPtr &value : stmt.with_values)
          if (absl::Status st = expr(value.get(), soft); !st.ok()) return st;
        return body(stmt.body, false);
      case StmtKind::kScope:
        return body(stmt.body, false);
      case StmtKind::kBreak:
      case StmtKind::kContinue:
        return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  const std::string &origin_;
};

}  // namespace

absl::Status checkFilterAndTestNames(const TemplateAst &ast) {
  NameChecker checker(ast.origin);
  return checker.body(ast.body, false);
}

}  // namespace lfm::jinja
