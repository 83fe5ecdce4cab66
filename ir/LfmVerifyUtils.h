//===- LfmVerifyUtils.h - helpers shared by the op verifiers ----*- C++ -*-===//
//
// Checks that several verifiers (graph ops and fused ops) make the same way,
// so that the same problem gets the same message wherever it is found.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_IR_LFMVERIFYUTILS_H
#define LFM_IR_LFMVERIFYUTILS_H

#include "ir/LfmDialect.h"

namespace mlir::lfm {

/// The static column count of a [rows, width] activation, or failure (with
/// an error on `op` naming `name`).
FailureOr<int64_t> verifyStaticWidth(Operation *op, Value value,
                                     StringRef name);

/// The element type of a shaped value.
Type elementTypeOf(Value value);

/// Checks that `value` is [rows, expectedWidth] with the cache's element type.
LogicalResult verifyAgainstCache(Operation *op, Value value, StringRef name,
                                 int64_t expectedWidth, KvCacheType cache);

/// Checks an RMSNorm over `input` (each run of `group` columns, else each
/// row) with `weight` and `eps`.
LogicalResult verifyRmsNorm(Operation *op, Value input, Value weight,
                            double eps, std::optional<int64_t> group);

/// Checks `result = input . weight^T` (or its SwiGLU half when `swiglu`).
LogicalResult verifyProjection(Operation *op, Value input, Value weight,
                               Value result, bool swiglu);

/// Checks a causal conv's [hidden, 1, L] weight and its conv state against
/// `hidden` channels of `element`.
LogicalResult verifyConvOperands(Operation *op, int64_t hidden, Type element,
                                 Value weight, Value state);

} // namespace mlir::lfm

#endif // LFM_IR_LFMVERIFYUTILS_H
