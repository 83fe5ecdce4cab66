//===- LfmOps.cpp - lfm op verifiers --------------------------------------===//
//
// Each verifier checks what the op's semantics rely on and names the offending
// operand, attribute or size in its message.
//
//===----------------------------------------------------------------------===//

#include "ir/LfmDialect.h"
#include "ir/LfmQuant.h"
#include "ir/LfmVerifyUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::lfm;

FailureOr<int64_t> mlir::lfm::verifyStaticWidth(Operation *op, Value value,
                                                 StringRef name) {
  auto type = value.getType().cast<RankedTensorType>();
  if (type.isDynamicDim(1)) {
    op->emitOpError() << name << " must have a static width, got " << type;
    return failure();
  }
  return type.getDimSize(1);
}

Type mlir::lfm::elementTypeOf(Value value) {
  return value.getType().cast<ShapedType>().getElementType();
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getSources().empty())
    return emitOpError("needs at least one checkpoint tensor in 'sources'");
  for (Attribute source : getSources())
    if (source.cast<StringAttr>().getValue().empty())
      return emitOpError("has an empty checkpoint tensor name");
  auto type = getResult().getType().cast<RankedTensorType>();
  if (!type.hasStaticShape())
    return emitOpError() << "result must have a static shape, got " << type;
  // Several sources are stacked along dimension 0: the plan needs each one's
  // share to check the checkpoint's shapes.
  if (std::optional<ArrayAttr> rows = getSourceRows()) {
    if (rows->size() != getSources().size())
      return emitOpError() << "has " << rows->size()
                           << " 'source_rows' entries for "
                           << getSources().size() << " sources";
    if (type.getRank() == 0)
      return emitOpError("with 'source_rows' needs a ranked result");
    int64_t total = 0;
    for (Attribute row : *rows) {
      int64_t n = row.cast<IntegerAttr>().getInt();
      if (n <= 0)
        return emitOpError() << "source_rows must be positive, got " << n;
      total += n;
    }
    if (total != type.getDimSize(0))
      return emitOpError() << "source_rows add up to " << total
                           << " but the result has " << type.getDimSize(0)
                           << " rows";
  } else if (getSources().size() > 1) {
    return emitOpError("with several sources needs 'source_rows'");
  }
  Type element = type.getElementType();
  if (!element.isF32() && !element.isBF16() && !element.isF16())
    return emitOpError() << "element type must be f32, bf16 or f16, got "
                         << element;
  return verifyWeightQuant(*this);
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  auto table = getTable().getType().cast<RankedTensorType>();
  if (!table.hasStaticShape())
    return emitOpError() << "table must have a static shape, got " << table;
  auto result = getResult().getType().cast<RankedTensorType>();
  if (result.getDimSize(1) != table.getDimSize(1))
    return emitOpError() << "result width " << result.getDimSize(1)
                         << " does not match the table's hidden size "
                         << table.getDimSize(1);
  if (result.getElementType() != table.getElementType())
    return emitOpError() << "result element type " << result.getElementType()
                         << " differs from the table's "
                         << table.getElementType();
  return success();
}

//===----------------------------------------------------------------------===//
// RmsNormOp
//===----------------------------------------------------------------------===//

LogicalResult mlir::lfm::verifyRmsNorm(Operation *op, Value input,
                                       Value weight, double eps,
                                       std::optional<int64_t> group) {
  FailureOr<int64_t> width = verifyStaticWidth(op, input, "input");
  if (failed(width))
    return failure();
  if (!(eps > 0.0))
    return op->emitOpError() << "eps must be positive, got " << eps;
  int64_t size = group.value_or(*width);
  if (*width % size != 0)
    return op->emitOpError() << "group " << size
                             << " does not divide the input width " << *width;
  int64_t weightSize = weight.getType().cast<RankedTensorType>().getDimSize(0);
  if (weightSize != size)
    return op->emitOpError() << "weight has " << weightSize
                             << " elements but each normalized group has "
                             << size;
  return success();
}

LogicalResult RmsNormOp::verify() {
  return verifyRmsNorm(*this, getInput(), getWeight(),
                       getEps().convertToDouble(), getGroup());
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult mlir::lfm::verifyProjection(Operation *op, Value input,
                                          Value weightValue, Value resultValue,
                                          bool swiglu) {
  FailureOr<int64_t> inWidth = verifyStaticWidth(op, input, "input");
  if (failed(inWidth))
    return failure();
  auto weight = weightValue.getType().cast<RankedTensorType>();
  if (!weight.hasStaticShape())
    return op->emitOpError() << "weight must have a static shape, got "
                             << weight;
  if (weight.getDimSize(1) != *inWidth)
    return op->emitOpError() << "input width " << *inWidth
                             << " does not match the weight's in_features "
                             << weight.getDimSize(1);
  auto result = resultValue.getType().cast<RankedTensorType>();
  int64_t outFeatures = weight.getDimSize(0);
  if (swiglu && outFeatures % 2 != 0)
    return op->emitOpError() << "SwiGLU needs W1 and W3 stacked, but the "
                                "weight has an odd number of rows "
                             << outFeatures;
  if (swiglu && result.getDimSize(1) != outFeatures / 2)
    return op->emitOpError() << "result width " << result.getDimSize(1)
                             << " must be half the weight's out_features "
                             << outFeatures << " with a SwiGLU epilogue";
  if (!swiglu && result.getDimSize(1) != outFeatures)
    return op->emitOpError() << "result width " << result.getDimSize(1)
                             << " does not match the weight's out_features "
                             << outFeatures;
  Type inElement = elementTypeOf(input);
  if (weight.getElementType() != inElement)
    return op->emitOpError() << "weight element type "
                             << weight.getElementType()
                             << " differs from the input's " << inElement;
  Type outElement = result.getElementType();
  if (outElement != inElement && !outElement.isF32())
    return op->emitOpError() << "result element type must be the input's ("
                             << inElement << ") or f32, got " << outElement;
  return success();
}

LogicalResult LinearOp::verify() {
  return verifyProjection(*this, getInput(), getWeight(), getResult(),
                          /*swiglu=*/false);
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  FailureOr<int64_t> inWidth = verifyStaticWidth(*this, getInput(), "input");
  FailureOr<int64_t> outWidth = verifyStaticWidth(*this, getResult(), "result");
  if (failed(inWidth) || failed(outWidth))
    return failure();
  if (elementTypeOf(getInput()) != elementTypeOf(getResult()))
    return emitOpError("result element type differs from the input's");
  uint64_t offset = getOffset();
  if (offset + *outWidth > static_cast<uint64_t>(*inWidth))
    return emitOpError() << "columns [" << offset << ", " << offset + *outWidth
                         << ") are out of range for input width " << *inWidth;
  return success();
}

//===----------------------------------------------------------------------===//
// ShortConvOp
//===----------------------------------------------------------------------===//

LogicalResult mlir::lfm::verifyConvOperands(Operation *op, int64_t hidden,
                                            Type element, Value weightValue,
                                            Value stateValue) {
  auto weight = weightValue.getType().cast<RankedTensorType>();
  if (!weight.hasStaticShape() || weight.getDimSize(0) != hidden ||
      weight.getDimSize(1) != 1)
    return op->emitOpError() << "weight must be [" << hidden
                             << ", 1, L], got " << weight;
  int64_t kernel = weight.getDimSize(2);
  auto state = stateValue.getType().cast<ConvStateType>();
  if (state.getHidden() != hidden)
    return op->emitOpError() << "conv state has " << state.getHidden()
                             << " channels but the input has " << hidden;
  if (state.getWindow() != kernel - 1)
    return op->emitOpError() << "conv state keeps " << state.getWindow()
                             << " rows but a kernel of width " << kernel
                             << " needs " << kernel - 1;
  if (weight.getElementType() != element || state.getElementType() != element)
    return op->emitOpError() << "weight and state must have the input's "
                                "element type "
                             << element;
  return success();
}

LogicalResult ShortConvOp::verify() {
  FailureOr<int64_t> hidden = verifyStaticWidth(*this, getInput(), "input");
  if (failed(hidden))
    return failure();
  return verifyConvOperands(*this, *hidden, elementTypeOf(getInput()),
                            getWeight(), getState());
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  FailureOr<int64_t> width = verifyStaticWidth(*this, getInput(), "input");
  if (failed(width))
    return failure();
  int64_t headDim = getHeadDim();
  if (headDim % 2 != 0)
    return emitOpError() << "head_dim must be even, got " << headDim;
  if (*width % headDim != 0)
    return emitOpError() << "head_dim " << headDim
                         << " does not divide the input width " << *width;
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError() << "theta must be positive, got "
                         << getTheta().convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// KV cache ops
//===----------------------------------------------------------------------===//

LogicalResult mlir::lfm::verifyAgainstCache(Operation *op, Value value,
                                            StringRef name,
                                            int64_t expectedWidth,
                                            KvCacheType cache) {
  FailureOr<int64_t> width = verifyStaticWidth(op, value, name);
  if (failed(width))
    return failure();
  if (*width != expectedWidth)
    return op->emitOpError()
           << name << " width " << *width << " does not match the cache's "
           << cache.getKvHeads() << " x " << cache.getHeadDim() << " = "
           << expectedWidth;
  if (elementTypeOf(value) != cache.getElementType())
    return op->emitOpError() << name << " element type "
                             << elementTypeOf(value) << " differs from the "
                             << "cache's " << cache.getElementType();
  return success();
}

LogicalResult KvCacheWriteOp::verify() {
  auto cache = getCache().getType().cast<KvCacheType>();
  return verifyAgainstCache(*this, getKey(), "key",
                            cache.getKvHeads() * cache.getHeadDim(), cache);
}

LogicalResult AttentionOp::verify() {
  auto cache = getCache().getType().cast<KvCacheType>();
  int64_t heads = getHeads();
  if (heads % cache.getKvHeads() != 0)
    return emitOpError() << "kv_heads " << cache.getKvHeads()
                         << " must divide heads " << heads;
  if (!(getScale().convertToDouble() > 0.0))
    return emitOpError() << "scale must be positive, got "
                         << getScale().convertToDouble();
  return verifyAgainstCache(*this, getQuery(), "query",
                            heads * cache.getHeadDim(), cache);
}

#define GET_OP_CLASSES
#include "ir/LfmOps.cpp.inc"
