//===- PlanBuffers.cpp - activation arena regions by liveness -------------===//
//
// A linear scan over the launches: a kernel's results get free regions (the
// smallest that fits, else the largest free one grown, else a new one)
// before the regions of operands it reads for the last time are released,
// so a kernel never writes a region it reads.
//
//===----------------------------------------------------------------------===//

#include "passes/PassDetail.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_PLANBUFFERS
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

/// Bytes of one row of a [rows, width] activation.
int64_t rowBytes(Value value) {
  auto type = value.getType().cast<RankedTensorType>();
  return type.getDimSize(1) *
         static_cast<int64_t>(type.getElementTypeBitWidth() / 8);
}

class RegionAllocator {
public:
  int64_t allocate(int64_t need) {
    auto fits = [&](int64_t r) { return regionRowBytes[r] >= need; };
    // Prefer the tightest region that fits; failing that, grow the largest.
    auto better = [&](int64_t a, int64_t b) {
      if (fits(a) != fits(b))
        return fits(a);
      return fits(a) ? regionRowBytes[a] < regionRowBytes[b]
                     : regionRowBytes[a] > regionRowBytes[b];
    };
    auto best = freeRegions.end();
    for (auto it = freeRegions.begin(); it != freeRegions.end(); ++it)
      if (best == freeRegions.end() || better(*it, *best))
        best = it;
    int64_t region;
    if (best != freeRegions.end()) {
      region = *best;
      freeRegions.erase(best);
    } else {
      region = static_cast<int64_t>(regionRowBytes.size());
      regionRowBytes.push_back(0);
    }
    regionRowBytes[region] = std::max(regionRowBytes[region], need);
    return region;
  }
  void release(int64_t region) {
    if (!llvm::is_contained(freeRegions, region))
      freeRegions.push_back(region);
  }
  ArrayRef<int64_t> rowBytesPerRegion() const { return regionRowBytes; }

private:
  SmallVector<int64_t> regionRowBytes;
  SmallVector<int64_t> freeRegions;
};

struct PlanBuffersPass : lfm::impl::PlanBuffersBase<PlanBuffersPass> {
  void runOnOperation() override;
};

} // namespace

void PlanBuffersPass::runOnOperation() {
  func::FuncOp func = getOperation();
  SmallVector<Operation *> launches;
  for (Operation &op : func.getBody().front())
    if (op.hasAttr(kLaunchAttr))
      launches.push_back(&op);
  if (launches.empty()) {
    func.emitOpError("has no kernel launches: run lfm-form-kernels first");
    return signalPassFailure();
  }

  // The returned value is the logits output, not an arena buffer.
  llvm::SmallPtrSet<Value, 2> outputs;
  func.walk([&](func::ReturnOp ret) {
    for (Value v : ret.getOperands())
      outputs.insert(v);
  });
  llvm::DenseMap<Value, int64_t> lastUse;
  for (auto [index, op] : llvm::enumerate(launches))
    for (Value operand : op->getOperands())
      lastUse[operand] = static_cast<int64_t>(index);

  RegionAllocator allocator;
  llvm::DenseMap<Value, int64_t> regionOf;
  Builder builder(&getContext());
  for (auto [index, op] : llvm::enumerate(launches)) {
    SmallVector<int64_t> regions;
    for (Value result : op->getResults()) {
      if (outputs.contains(result)) {
        regions.push_back(-1);
        continue;
      }
      int64_t region = allocator.allocate(rowBytes(result));
      regionOf[result] = region;
      regions.push_back(region);
    }
    if (op->getNumResults() > 0)
      op->setAttr(kRegionsAttr, builder.getI64ArrayAttr(regions));
    auto releaseIfDead = [&](Value value) {
      auto it = regionOf.find(value);
      if (it != regionOf.end() &&
          lastUse.lookup(value) <= static_cast<int64_t>(index))
        allocator.release(it->second);
    };
    for (Value operand : op->getOperands())
      releaseIfDead(operand);
    // A result nobody reads is dead right after its launch.
    for (Value result : op->getResults())
      if (!lastUse.count(result))
        releaseIfDead(result);
  }

  int64_t total = 0;
  for (int64_t bytes : allocator.rowBytesPerRegion())
    total += bytes;
  func->setAttr(kArenaRegionsAttr,
                builder.getI64IntegerAttr(
                    static_cast<int64_t>(allocator.rowBytesPerRegion().size())));
  func->setAttr(kArenaRowBytesAttr, builder.getI64IntegerAttr(total));
}

std::unique_ptr<Pass> mlir::lfm::createPlanBuffersPass() {
  return std::make_unique<PlanBuffersPass>();
}
