//===- Elementwise.cpp - add, mul [a, b] -> [y]; silu [x] -> [y] ----------===//
//
// Row-wise elementwise ops: every lane loads a chunk of each operand, applies
// the op in f32 and stores a chunk of y.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"

#include "codegen/cuda/EmitterSupport.h"

#include "llvm/ADT/StringSwitch.h"

namespace mlir::lfm::cuda {

constexpr llvm::StringLiteral kElementwiseTemplate =
#include "kernels/elementwise.inc"
    ;

llvm::Expected<KernelSource> emitElementwise(const EmitContext &ctx) {
  const std::string op = ::lfm::opName(ctx.launch.op);
  // The f32 expression of element k, over the operands' chunks a[] and b[].
  const char *expr = llvm::StringSwitch<const char *>(op)
                         .Case("add", "a[k] + b[k]")
                         .Case("mul", "a[k] * b[k]")
                         .Case("silu", "lfm_silu(a[k])")
                         .Default(nullptr);
  if (!expr)
    return emitError(ctx, "not an elementwise op");
  const size_t arity = op == "silu" ? 1 : 2;
  if (llvm::Error error = expectArity(ctx, arity, 1))
    return std::move(error);

  BufferDesc y = describeBuffer(ctx.plan, ctx.launch.results[0]);
  const std::string chunk = std::to_string(chooseChunk({y.width}));
  RowTiling tiling = tileRows(y.width / chooseChunk({y.width}));

  std::string bindings, loads;
  static constexpr const char *kNames[] = {"a", "b"};
  for (size_t i = 0; i < arity; ++i) {
    BufferDesc x = describeBuffer(ctx.plan, ctx.launch.operands[i]);
    if (x.width != y.width)
      return emitError(ctx, "operands and result differ in width");
    std::string ptr = std::string(kNames[i]) + "_ptr";
    bindings += bindBuffer(ptr, x, i, false);
    loads += fillTemplate("    float ${V}[${C}];\n"
                          "    lfm_load_n<${C}>(${P} + base + col, ${V});\n",
                          {{"V", kNames[i]}, {"P", ptr}, {"C", chunk}});
  }
  bindings += bindBuffer("y", y, arity, true);

  KernelSource out;
  out.body = fillTemplate(
      kElementwiseTemplate,
      {{"OP", op},
       {"EXPR", expr},
       {"NAME", ctx.entryPoint},
       {"W", std::to_string(y.width)},
       {"C", chunk},
       {"BIND", bindings},
       {"PROLOGUE", tiling.rowPrologue(rowCountExpr(y.rows))},
       {"LOOP", tiling.unitLoopBegin(/*skipMissing=*/true)},
       {"LOADS", loads}});
  out.geometry = tiling.geometry(y.rows);
  return out;
}

} // namespace mlir::lfm::cuda
