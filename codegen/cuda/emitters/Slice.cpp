//===- Slice.cpp - slice [x] -> [y] ---------------------------------------===//
//
// y[:, j] = x[:, offset + j]: a column range of every row (the unfused
// plan's split of B, C and x, or of q, k and v).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emitters/Emitters.h"
#include "codegen/cuda/emitters/RowCopy.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir::lfm::cuda {

llvm::Expected<KernelSource> emitSlice(const EmitContext &ctx) {
  if (llvm::Error error = expectArity(ctx, 1, 1))
    return std::move(error);
  llvm::Expected<int64_t> offset = intAttr(ctx, ::lfm::IntAttr::kOffset);
  if (!offset)
    return offset.takeError();
  BufferDesc x = describeBuffer(ctx.plan, ctx.launch.operands[0]);
  BufferDesc y = describeBuffer(ctx.plan, ctx.launch.results[0]);
  if (*offset < 0 || *offset + y.width > x.width)
    return emitError(ctx, "the slice is not within the input's columns");

  RowCopySpec spec;
  spec.summary = llvm::formatv("slice: y[:, j] = x[:, {0} + j], {1} of {2} "
                               "columns",
                               *offset, y.width, x.width)
                     .str();
  spec.bindings = bindBuffer("x", x, 0, false) + bindBuffer("y", y, 1, true);
  spec.rows = y.rows;
  spec.rowSetup = "  const long long src_row = row, dst_row = row;\n";
  spec.width = y.width;
  spec.parts.push_back({"x", "y", x.width, *offset, y.width});
  return emitRowCopy(ctx, spec);
}

} // namespace mlir::lfm::cuda
