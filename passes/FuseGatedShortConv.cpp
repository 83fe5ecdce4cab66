//===- FuseGatedShortConv.cpp - ShortConv's gates and conv as one op ------===//
//
// The unfused ShortConv block is five launches (three slices, two muls)
// around the conv, each a full pass over [T, H] activations; the fused
// kernel reads in_proj's output once.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearParts.h"
#include "passes/PassDetail.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_FUSEGATEDSHORTCONV
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

/// The operand of a commutative `mul` that is not `known`, or null.
Value otherOperand(MulOp mul, Value known) {
  if (mul.getLhs() == known)
    return mul.getRhs();
  if (mul.getRhs() == known)
    return mul.getLhs();
  return {};
}

struct FuseGatedShortConvPattern : OpRewritePattern<ShortConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ShortConvOp conv,
                                PatternRewriter &rewriter) const override {
    // y = C * conv(B * x): the conv's only user is the output gate...
    if (!conv.getResult().hasOneUse())
      return rewriter.notifyMatchFailure(conv, "conv output has other uses");
    auto gate = dyn_cast<MulOp>(*conv.getResult().getUsers().begin());
    if (!gate)
      return rewriter.notifyMatchFailure(conv, "conv output is not gated");
    // ...and its input is B * x, used only here.
    auto inputGate = conv.getInput().getDefiningOp<MulOp>();
    if (!inputGate || !conv.getInput().hasOneUse())
      return rewriter.notifyMatchFailure(conv, "conv input is not B * x");
    auto anySlice = inputGate.getLhs().getDefiningOp<SliceOp>();
    if (!anySlice)
      return rewriter.notifyMatchFailure(conv, "B is not a slice");
    Value bcx = anySlice.getInput();
    int64_t hidden = widthOf(conv.getResult());
    if (widthOf(bcx) != 3 * hidden)
      return rewriter.notifyMatchFailure(conv, "in_proj output is not 3H wide");
    SliceOp b = matchSlice(inputGate.getLhs(), bcx, 0, hidden);
    SliceOp x = matchSlice(inputGate.getRhs(), bcx, 2 * hidden, hidden);
    if (!b || !x) { // B * x is commutative.
      b = matchSlice(inputGate.getRhs(), bcx, 0, hidden);
      x = matchSlice(inputGate.getLhs(), bcx, 2 * hidden, hidden);
    }
    SliceOp c = matchSlice(otherOperand(gate, conv.getResult()), bcx, hidden,
                           hidden);
    if (!b || !x || !c)
      return rewriter.notifyMatchFailure(conv, "B, C, x are not columns 0, H "
                                               "and 2H of one value");
    if (!b->hasOneUse() || !x->hasOneUse() || !c->hasOneUse())
      return rewriter.notifyMatchFailure(conv, "a slice has other uses");

    // At the conv's place: the state update keeps its order among the ops
    // that touch state, and bcx (before the slices) dominates it.
    rewriter.setInsertionPoint(conv);
    auto fused = rewriter.create<GatedShortConvOp>(
        conv.getLoc(), gate.getResult().getType(), bcx, conv.getWeight(),
        conv.getState(), conv.getRowOffsets(), conv.getSlots(),
        conv.getStartPos());
    rewriter.replaceOp(gate, fused.getResult());
    rewriter.eraseOp(conv);
    rewriter.eraseOp(inputGate);
    for (SliceOp slice : {b, c, x})
      rewriter.eraseOp(slice);
    return success();
  }
};

struct FuseGatedShortConvPass
    : lfm::impl::FuseGatedShortConvBase<FuseGatedShortConvPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseGatedShortConvPattern>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createFuseGatedShortConvPass() {
  return std::make_unique<FuseGatedShortConvPass>();
}
