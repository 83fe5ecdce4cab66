//===- FuseNormPrologue.cpp - RMSNorm in a linear's prologue --------------===//
//
// A matmul kernel reads each whole input row anyway (K is the reduction), so
// it can take the row's sum of squares and scale as it loads: the normalized
// [T, H] copy never reaches memory. Only a norm with no other use can go;
// another user would need the normalized rows stored.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearParts.h"
#include "passes/PassDetail.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_FUSENORMPROLOGUE
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

/// Matches `lfm.linear` and `lfm.fused_linear` (one pattern for both, via
/// LinearParts) whose input is a row RMSNorm used only there.
struct FuseNormProloguePattern : RewritePattern {
  FuseNormProloguePattern(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    std::optional<LinearParts> parts = matchLinear(op);
    if (!parts || parts->normWeight)
      return failure();
    auto norm = parts->input.getDefiningOp<RmsNormOp>();
    if (!norm || !norm->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is not a norm used once");
    if (!isRowNorm(norm))
      return rewriter.notifyMatchFailure(op, "a per-group norm");
    parts->input = norm.getInput();
    parts->normWeight = norm.getWeight();
    parts->eps = norm.getEpsAttr();
    rewriter.setInsertionPoint(op);
    Value fused =
        buildLinear(rewriter, op->getLoc(), op->getResult(0).getType(), *parts);
    rewriter.replaceOp(op, fused);
    rewriter.eraseOp(norm);
    return success();
  }
};

struct FuseNormProloguePass
    : lfm::impl::FuseNormPrologueBase<FuseNormProloguePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseNormProloguePattern>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createFuseNormProloguePass() {
  return std::make_unique<FuseNormProloguePass>();
}
