//===- FuseQkNormRopeCache.cpp - q/k norms, RoPE and cache write ----------===//
//
// After the QKV projection, attention's preamble is six small launches
// (slices, two per-head norms, two ropes, the cache write), each a pass over
// narrow rows: one kernel does it in a single read of the QKV row.
//
//===----------------------------------------------------------------------===//

#include "passes/LinearParts.h"
#include "passes/PassDetail.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_FUSEQKNORMROPECACHE
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

/// `rope(rms_norm(slice(qkv, offset)))` with per-head norms of `headDim`,
/// each step used only by the next.
struct HeadChain {
  SliceOp slice;
  RmsNormOp norm;
  RopeOp rope;
};

FailureOr<HeadChain> matchHeadChain(RopeOp rope, Value qkv, int64_t offset,
                                    int64_t headDim) {
  if (!rope || rope.getHeadDim() != static_cast<uint64_t>(headDim))
    return failure();
  auto norm = rope.getInput().getDefiningOp<RmsNormOp>();
  if (!norm || !norm->hasOneUse() || norm.getGroup().value_or(0) != static_cast<uint64_t>(headDim))
    return failure();
  SliceOp slice =
      matchSlice(norm.getInput(), qkv, offset, widthOf(norm.getInput()));
  if (!slice || !slice->hasOneUse())
    return failure();
  return HeadChain{slice, norm, rope};
}

struct FuseQkNormRopeCachePattern : OpRewritePattern<KvCacheWriteOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(KvCacheWriteOp write,
                                PatternRewriter &rewriter) const override {
    auto cache = write.getCache().getType().cast<KvCacheType>();
    int64_t headDim = cache.getHeadDim();
    int64_t kvWidth = cache.getKvHeads() * headDim;
    auto vSlice = write.getValue().getDefiningOp<SliceOp>();
    if (!vSlice || !vSlice->hasOneUse())
      return rewriter.notifyMatchFailure(write, "v is not a slice used once");
    Value qkv = vSlice.getInput();
    int64_t qWidth = widthOf(qkv) - 2 * kvWidth;
    if (qWidth <= 0 || qWidth % headDim != 0 ||
        static_cast<int64_t>(vSlice.getOffset()) != qWidth + kvWidth)
      return rewriter.notifyMatchFailure(write, "v is not the last kv_heads "
                                                "x head_dim columns of QKV");
    auto kRope = write.getKey().getDefiningOp<RopeOp>();
    if (!kRope || !kRope->hasOneUse())
      return rewriter.notifyMatchFailure(write, "k is not a rope used once");
    FailureOr<HeadChain> k = matchHeadChain(kRope, qkv, qWidth, headDim);
    if (failed(k))
      return rewriter.notifyMatchFailure(write, "k is not rope(norm(slice))");

    // q is the chain on columns [0, qWidth) of the same QKV value.
    FailureOr<HeadChain> q = failure();
    for (Operation *user : qkv.getUsers()) {
      auto slice = dyn_cast<SliceOp>(user);
      if (!slice || slice.getOffset() != 0 || !slice->hasOneUse())
        continue;
      auto norm = dyn_cast<RmsNormOp>(*slice->getUsers().begin());
      if (!norm || !norm->hasOneUse())
        continue;
      q = matchHeadChain(dyn_cast<RopeOp>(*norm->getUsers().begin()), qkv, 0,
                         headDim);
      if (succeeded(q))
        break;
    }
    if (failed(q) || widthOf(q->slice.getResult()) != qWidth)
      return rewriter.notifyMatchFailure(write, "no q = rope(norm(slice)) of "
                                                "QKV's first columns");

    // One kernel applies one eps, one theta and one set of positions.
    if (q->norm.getEps() != k->norm.getEps() ||
        q->norm.getWeight().getType() != k->norm.getWeight().getType() ||
        q->rope.getTheta() != k->rope.getTheta())
      return rewriter.notifyMatchFailure(write, "q and k differ in eps, norm "
                                                "weight type or theta");
    for (RopeOp rope : {q->rope, k->rope})
      if (rope.getRowOffsets() != write.getRowOffsets() ||
          rope.getStartPos() != write.getStartPos())
        return rewriter.notifyMatchFailure(write, "rope positions differ from "
                                                  "the cache write's");

    // The fused op stands at the write's place (the cache is written in the
    // same order relative to attention); q's users must all come later and
    // q's norm weight must already be defined there.
    for (Operation *user : q->rope->getUsers())
      if (user->getBlock() != write->getBlock() ||
          !write->isBeforeInBlock(user))
        return rewriter.notifyMatchFailure(write, "q is used before the "
                                                  "cache write");
    Value qNormWeight = q->norm.getWeight();
    if (Operation *def = qNormWeight.getDefiningOp();
        def && (def->getBlock() != write->getBlock() ||
                !def->isBeforeInBlock(write)))
      return rewriter.notifyMatchFailure(write, "q's norm weight is defined "
                                                "after the cache write");

    rewriter.setInsertionPoint(write);
    auto fused = rewriter.create<QkNormRopeCacheOp>(
        write.getLoc(), q->rope.getResult().getType(), qkv, qNormWeight,
        k->norm.getWeight(), write.getCache(), write.getRowOffsets(),
        write.getSlots(), write.getStartPos(),
        rewriter.getI64IntegerAttr(qWidth / headDim), q->norm.getEpsAttr(),
        q->rope.getThetaAttr());
    // Users go before producers.
    rewriter.replaceOp(q->rope, fused.getResult());
    rewriter.eraseOp(write);
    rewriter.eraseOp(k->rope);
    rewriter.eraseOp(vSlice);
    for (const HeadChain &chain : {*k, *q}) {
      rewriter.eraseOp(chain.norm);
      rewriter.eraseOp(chain.slice);
    }
    return success();
  }
};

struct FuseQkNormRopeCachePass
    : lfm::impl::FuseQkNormRopeCacheBase<FuseQkNormRopeCachePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseQkNormRopeCachePattern>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createFuseQkNormRopeCachePass() {
  return std::make_unique<FuseQkNormRopeCachePass>();
}
