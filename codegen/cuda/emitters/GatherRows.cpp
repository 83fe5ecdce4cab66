//===- GatherRows.cpp - gather_rows [x, logit_rows] -> [y] ----------------===//
//
// y[r] = x[logit_rows[r]]: picks the token rows whose logits are asked for,
// so the lm_head runs on R rows instead of T.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/RowCopy.h"

namespace mlir::lfm::cuda {

llvm::Expected<KernelSource> emitGatherRows(const EmitContext &ctx) {
  if (llvm::Error error = expectArity(ctx, 2, 1))
    return std::move(error);
  BufferDesc x = describeBuffer(ctx.plan, ctx.launch.operands[0]);
  BufferDesc y = describeBuffer(ctx.plan, ctx.launch.results[0]);
  if (x.width != y.width)
    return emitError(ctx, "the input and the result differ in width");

  RowCopySpec spec;
  spec.summary = "gather_rows: y[r] = x[logit_rows[r]]";
  spec.bindings =
      bindBuffer("x", x, 0, false) +
      "  const int *__restrict__ logit_rows = (const int *)args.buf[1];\n" +
      bindBuffer("y", y, 2, true);
  spec.rows = y.rows;
  spec.rowSetup = "  const long long src_row = logit_rows[row];\n"
                  "  const long long dst_row = row;\n";
  spec.width = y.width;
  spec.parts.push_back({"x", "y", x.width, 0, y.width});
  return emitRowCopy(ctx, spec);
}

} // namespace mlir::lfm::cuda
