//===- LfmFusedOps.cpp - fused op verifiers -------------------------------===//
//
// A fused op verifies what its unfused chain would: the same shape rules
// (through the helpers the graph ops use) plus the constraints of fusing,
// e.g. that the q, k and v columns add up to the QKV width.
//
//===----------------------------------------------------------------------===//

#include "ir/LfmDialect.h"
#include "ir/LfmVerifyUtils.h"

using namespace mlir;
using namespace mlir::lfm;

//===----------------------------------------------------------------------===//
// AddRmsNormOp
//===----------------------------------------------------------------------===//

LogicalResult AddRmsNormOp::verify() {
  return verifyRmsNorm(*this, getInput(), getWeight(),
                       getEps().convertToDouble(), /*group=*/std::nullopt);
}

//===----------------------------------------------------------------------===//
// FusedLinearOp
//===----------------------------------------------------------------------===//

LogicalResult FusedLinearOp::verify() {
  if (getResidual() && getSwiglu())
    return emitOpError("has both a residual and a SwiGLU epilogue; the kernel "
                       "runs one epilogue");
  if (failed(verifyProjection(*this, getInput(), getWeight(), getResult(),
                              getSwiglu())))
    return failure();
  if (Value norm = getNormWeight()) {
    if (!getEps())
      return emitOpError("with a norm prologue needs an 'eps' attribute");
    if (failed(verifyRmsNorm(*this, getInput(), norm,
                             getEps()->convertToDouble(), std::nullopt)))
      return failure();
  } else if (getEps()) {
    return emitOpError("has 'eps' but no norm prologue");
  }
  if (Value residual = getResidual(); residual &&
                                      residual.getType() != getResult().getType())
    return emitOpError() << "residual type " << residual.getType()
                         << " differs from the result type "
                         << getResult().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// GatedShortConvOp
//===----------------------------------------------------------------------===//

LogicalResult GatedShortConvOp::verify() {
  FailureOr<int64_t> inWidth = verifyStaticWidth(*this, getInput(), "input");
  FailureOr<int64_t> hidden = verifyStaticWidth(*this, getResult(), "result");
  if (failed(inWidth) || failed(hidden))
    return failure();
  if (*inWidth != 3 * *hidden)
    return emitOpError() << "input width " << *inWidth
                         << " must be 3 x the result width " << *hidden
                         << " (B, C and x)";
  Type element = elementTypeOf(getInput());
  if (elementTypeOf(getResult()) != element)
    return emitOpError("result element type differs from the input's");
  return verifyConvOperands(*this, *hidden, element, getWeight(), getState());
}

//===----------------------------------------------------------------------===//
// QkNormRopeCacheOp
//===----------------------------------------------------------------------===//

LogicalResult QkNormRopeCacheOp::verify() {
  auto cache = getCache().getType().cast<KvCacheType>();
  int64_t headDim = cache.getHeadDim(), kvHeads = cache.getKvHeads();
  int64_t heads = getHeads();
  if (heads % kvHeads != 0)
    return emitOpError() << "kv_heads " << kvHeads << " must divide heads "
                         << heads;
  if (headDim % 2 != 0)
    return emitOpError() << "head_dim must be even for RoPE, got " << headDim;
  if (!(getEps().convertToDouble() > 0.0))
    return emitOpError() << "eps must be positive, got "
                         << getEps().convertToDouble();
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError() << "theta must be positive, got "
                         << getTheta().convertToDouble();
  int64_t normSize =
      getQNorm().getType().cast<RankedTensorType>().getDimSize(0);
  if (normSize != headDim)
    return emitOpError() << "q/k norm weights have " << normSize
                         << " elements but head_dim is " << headDim;
  if (failed(verifyAgainstCache(*this, getQkv(), "qkv",
                                (heads + 2 * kvHeads) * headDim, cache)))
    return failure();
  FailureOr<int64_t> qWidth = verifyStaticWidth(*this, getResult(), "result");
  if (failed(qWidth))
    return failure();
  if (*qWidth != heads * headDim)
    return emitOpError() << "result width " << *qWidth << " must be heads x "
                         << "head_dim = " << heads << " x " << headDim;
  if (elementTypeOf(getResult()) != cache.getElementType())
    return emitOpError("result element type differs from the cache's");
  return success();
}
