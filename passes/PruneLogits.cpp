//===- PruneLogits.cpp - final norm and lm_head on the requested rows -----===//
//
// The lm_head over the whole vocabulary is the largest matmul of a step, and
// only the logit rows are ever read. Every op this pass moves the gather
// across is row-wise (row r of its result depends on row r of its activation
// operand alone), so gathering before it computes the same rows.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearParts.h"
#include "passes/PassDetail.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_PRUNELOGITS
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

/// Whether `op` is row-wise in its operand #0 and every other operand is the
/// same for all rows (weights). A residual epilogue reads a second
/// activation, so a fused linear with one is not.
bool isRowWise(Operation *op) {
  if (isa<RmsNormOp, SiluOp>(op))
    return true;
  std::optional<LinearParts> linear = matchLinear(op);
  return linear && !linear->residual;
}

struct HoistGatherRows : OpRewritePattern<GatherRowsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatherRowsOp gather,
                                PatternRewriter &rewriter) const override {
    Operation *producer = gather.getInput().getDefiningOp();
    if (!producer || !producer->hasOneUse() || !isRowWise(producer))
      return rewriter.notifyMatchFailure(gather, "input is not a row-wise op "
                                                 "used only here");
    Value rowsIn = producer->getOperand(0);
    auto early = rewriter.create<GatherRowsOp>(gather.getLoc(), rowsIn.getType(),
                                               rowsIn, gather.getRows());
    IRMapping mapping;
    mapping.map(rowsIn, early.getResult());
    Operation *moved = rewriter.clone(*producer, mapping);
    rewriter.replaceOp(gather, moved->getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

struct PruneLogitsPass : lfm::impl::PruneLogitsBase<PruneLogitsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<HoistGatherRows>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createPruneLogitsPass() {
  return std::make_unique<PruneLogitsPass>();
}
