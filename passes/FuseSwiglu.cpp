//===- FuseSwiglu.cpp - SwiGLU as the W1|W3 linear's epilogue -------------===//
//
// The gate and up halves of the stacked W1|W3 product are produced by the
// same kernel, so it can multiply them before storing: the [T, 2F] product
// never reaches memory and silu and mul need no launches.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearParts.h"
#include "passes/PassDetail.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_FUSESWIGLU
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

struct FuseSwigluPattern : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    // silu(gate) * up, in either operand order.
    auto silu = mul.getLhs().getDefiningOp<SiluOp>();
    Value up = mul.getRhs();
    if (!silu) {
      silu = mul.getRhs().getDefiningOp<SiluOp>();
      up = mul.getLhs();
    }
    if (!silu || !silu->hasOneUse())
      return rewriter.notifyMatchFailure(mul, "no silu used only here");
    auto gateSlice = silu.getInput().getDefiningOp<SliceOp>();
    if (!gateSlice)
      return rewriter.notifyMatchFailure(mul, "gate is not a slice");
    Value product = gateSlice.getInput();
    int64_t ffn = widthOf(mul.getResult());
    SliceOp upSlice = matchSlice(up, product, ffn, ffn);
    if (!matchSlice(gateSlice.getResult(), product, 0, ffn) || !upSlice ||
        widthOf(product) != 2 * ffn)
      return rewriter.notifyMatchFailure(mul, "gate and up are not the two "
                                              "halves of one [T, 2F] value");
    if (!gateSlice->hasOneUse() || !upSlice->hasOneUse() ||
        !llvm::hasNItems(product.getUses(), 2))
      return rewriter.notifyMatchFailure(mul, "the product or a half has "
                                              "other uses");
    Operation *producer = product.getDefiningOp();
    std::optional<LinearParts> parts = matchLinear(producer);
    if (!parts || parts->hasEpilogue())
      return rewriter.notifyMatchFailure(mul, "the product is not a linear "
                                              "without an epilogue");
    if (product.getType().cast<ShapedType>().getElementType() !=
        mul.getType().cast<ShapedType>().getElementType())
      return rewriter.notifyMatchFailure(mul, "element types differ");

    parts->swiglu = true;
    Value fused = buildLinear(rewriter, producer->getLoc(), mul.getType(), *parts);
    rewriter.replaceOp(mul, fused);
    rewriter.eraseOp(silu);
    rewriter.eraseOp(gateSlice);
    rewriter.eraseOp(upSlice);
    rewriter.eraseOp(producer);
    return success();
  }
};

struct FuseSwigluPass : lfm::impl::FuseSwigluBase<FuseSwigluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSwigluPattern>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createFuseSwigluPass() {
  return std::make_unique<FuseSwigluPass>();
}
