//===- LfmQuant.cpp - quantized weights in the lfm dialect ----------------===//

#include "ir/LfmQuant.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::lfm;

std::optional<::lfm::QuantFormat> mlir::lfm::parseQuantName(StringRef name) {
  for (::lfm::QuantFormat format : ::lfm::kAllQuantFormats)
    if (name == ::lfm::quantFormatName(format))
      return format;
  return std::nullopt;
}

std::optional<::lfm::QuantFormat> mlir::lfm::weightQuantFormat(Value value) {
  auto weight = value.getDefiningOp<WeightOp>();
  if (!weight || !weight.getQuant())
    return std::nullopt;
  return parseQuantName(*weight.getQuant());
}

bool mlir::lfm::readsQuantizedRows(OpOperand &use) {
  // Operand 1 is the weight of both linears and the table of an embedding.
  return isa<LinearOp, FusedLinearOp, EmbeddingOp>(use.getOwner()) &&
         use.getOperandNumber() == 1;
}

LogicalResult mlir::lfm::verifyWeightQuant(WeightOp op) {
  std::optional<StringRef> name = op.getQuant();
  if (!name)
    return success();
  std::optional<::lfm::QuantFormat> format = parseQuantName(*name);
  if (!format)
    return op.emitOpError() << "unknown quantized format '" << *name
                            << "': expected q8_0, q4_0, q4_k or q6_k";
  auto type = op.getResult().getType().cast<RankedTensorType>();
  if (type.getRank() != 2)
    return op.emitOpError() << "quantized as " << *name
                            << " must be 2-D (rows of blocks), got " << type;
  int64_t block = ::lfm::quantBlockElems(*format);
  int64_t k = type.getDimSize(1);
  if (k % block != 0)
    return op.emitOpError() << "quantized as " << *name << " needs its last "
                            << "dimension to be a multiple of the block size "
                            << block << ", got " << k;
  for (OpOperand &use : op.getResult().getUses())
    if (!readsQuantizedRows(use))
      return op.emitOpError()
             << "quantized as " << *name << " is used by '"
             << use.getOwner()->getName()
             << "': only a linear's weight or an embedding's table may be "
                "quantized";
  return success();
}
