//===- LinearParts.h - a linear and its fused pro/epilogue ------*- C++ -*-===//
//
// The fusions that grow a linear (norm prologue, residual or SwiGLU
// epilogue) see `lfm.linear` and `lfm.fused_linear` alike: this decomposes
// either into its parts and builds the fused op back from them, so that the
// fusions compose in any order.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_PASSES_LINEARPARTS_H
#define LFM_PASSES_LINEARPARTS_H

#include "ir/LfmDialect.h"

#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir::lfm {

struct LinearParts {
  Value input;
  Value weight;
  Value normWeight; // null without a norm prologue
  FloatAttr eps;    // set iff normWeight is
  Value residual;   // null without a residual epilogue
  bool swiglu = false;

  bool hasEpilogue() const { return residual || swiglu; }
};

/// The parts of `op` if it is an `lfm.linear` or `lfm.fused_linear`.
std::optional<LinearParts> matchLinear(Operation *op);

/// Builds the op for `parts`: a plain `lfm.linear` when nothing is fused.
Value buildLinear(PatternRewriter &rewriter, Location loc, Type resultType,
                  const LinearParts &parts);

/// The `lfm.slice` that defines `value`, if it is one of `source` with
/// `width` columns at `offset`.
SliceOp matchSlice(Value value, Value source, int64_t offset, int64_t width);

/// Whether `norm` normalizes whole rows (the only form the fused kernels
/// implement; per-head norms keep their own op).
bool isRowNorm(RmsNormOp norm);

/// The static column count of a [rows, width] value.
int64_t widthOf(Value value);

} // namespace mlir::lfm

#endif // LFM_PASSES_LINEARPARTS_H
