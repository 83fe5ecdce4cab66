//===- LinearParts.cpp - a linear and its fused pro/epilogue --------------===//

#include "passes/LinearParts.h"

using namespace mlir;
using namespace mlir::lfm;

std::optional<LinearParts> mlir::lfm::matchLinear(Operation *op) {
  if (auto linear = dyn_cast_or_null<LinearOp>(op))
    return LinearParts{linear.getInput(), linear.getWeight()};
  auto fused = dyn_cast_or_null<FusedLinearOp>(op);
  if (!fused)
    return std::nullopt;
  LinearParts parts{fused.getInput(), fused.getWeight(), fused.getNormWeight(),
                    fused.getEpsAttr(), fused.getResidual()};
  parts.swiglu = fused.getSwiglu();
  return parts;
}

Value mlir::lfm::buildLinear(PatternRewriter &rewriter, Location loc,
                             Type resultType, const LinearParts &parts) {
  if (!parts.normWeight && !parts.hasEpilogue())
    return rewriter.create<LinearOp>(loc, resultType, parts.input,
                                     parts.weight);
  return rewriter.create<FusedLinearOp>(
      loc, resultType, parts.input, parts.weight, parts.normWeight,
      parts.residual, parts.eps,
      parts.swiglu ? rewriter.getUnitAttr() : UnitAttr());
}

int64_t mlir::lfm::widthOf(Value value) {
  return value.getType().cast<RankedTensorType>().getDimSize(1);
}

SliceOp mlir::lfm::matchSlice(Value value, Value source, int64_t offset,
                              int64_t width) {
  auto slice = value.getDefiningOp<SliceOp>();
  if (!slice || slice.getInput() != source ||
      static_cast<int64_t>(slice.getOffset()) != offset ||
      widthOf(slice.getResult()) != width)
    return {};
  return slice;
}

bool mlir::lfm::isRowNorm(RmsNormOp norm) {
  std::optional<uint64_t> group = norm.getGroup();
  return !group || static_cast<int64_t>(*group) == widthOf(norm.getInput());
}
