//===- FuseAddRmsNorm.cpp - residual add + RMSNorm in one pass ------------===//
//
// A norm of a residual sum reads the sum right after it is written: one
// kernel writes both the sum (the residual stream) and its normalized rows.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearParts.h"
#include "passes/PassDetail.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_FUSEADDRMSNORM
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

struct FuseAddRmsNormPattern : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RmsNormOp norm,
                                PatternRewriter &rewriter) const override {
    auto add = norm.getInput().getDefiningOp<AddOp>();
    if (!add || !isRowNorm(norm))
      return rewriter.notifyMatchFailure(norm, "not a row norm of an add");
    // The fused op takes the add's place so the sum is there for the add's
    // other users. The norm weight is usually built after the add; a weight
    // op has no operands, so it can move up.
    Value weight = norm.getWeight();
    if (Operation *def = weight.getDefiningOp();
        def && !(def->getBlock() == add->getBlock() &&
                 def->isBeforeInBlock(add))) {
      if (!isa<WeightOp>(def) || def->getBlock() != add->getBlock())
        return rewriter.notifyMatchFailure(norm, "norm weight is not "
                                                 "available at the add");
      rewriter.updateRootInPlace(def, [&] { def->moveBefore(add); });
    }
    rewriter.setInsertionPoint(add);
    auto fused = rewriter.create<AddRmsNormOp>(
        norm.getLoc(), add.getType(), add.getType(), add.getLhs(),
        add.getRhs(), weight, norm.getEpsAttr());
    rewriter.replaceOp(norm, fused.getNormed());
    rewriter.replaceOp(add, fused.getSum());
    return success();
  }
};

struct FuseAddRmsNormPass : lfm::impl::FuseAddRmsNormBase<FuseAddRmsNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAddRmsNormPattern>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createFuseAddRmsNormPass() {
  return std::make_unique<FuseAddRmsNormPass>();
}
