//===- FuseResidualEpilogue.cpp - residual add in a linear's epilogue -----===//
//
// The residual stream is updated by `x + out_proj(...)` and `x + w2(...)`:
// adding x as the product is stored saves a launch and a round trip of the
// [T, H] product through memory.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearParts.h"
#include "passes/PassDetail.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_FUSERESIDUALEPILOGUE
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

struct FuseResidualEpiloguePattern : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    // The importer writes `x + mixed`, so try the right operand first.
    for (auto [product, residual] : {std::pair(add.getRhs(), add.getLhs()),
                                     std::pair(add.getLhs(), add.getRhs())}) {
      Operation *producer = product.getDefiningOp();
      std::optional<LinearParts> parts = matchLinear(producer);
      if (!parts || parts->hasEpilogue() || !product.hasOneUse() ||
          product == residual)
        continue;
      // The fused op replaces the add, where both the linear's operands and
      // the residual are defined.
      parts->residual = residual;
      Value fused =
          buildLinear(rewriter, producer->getLoc(), add.getType(), *parts);
      rewriter.replaceOp(add, fused);
      rewriter.eraseOp(producer);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no operand is a linear without "
                                            "an epilogue used only here");
  }
};

struct FuseResidualEpiloguePass
    : lfm::impl::FuseResidualEpilogueBase<FuseResidualEpiloguePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseResidualEpiloguePattern>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createFuseResidualEpiloguePass() {
  return std::make_unique<FuseResidualEpiloguePass>();
}
