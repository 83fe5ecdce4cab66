//===- ActivationRegions.cpp - arena regions by liveness ------------------===//
//
// A linear scan over the launches: results get a free region (the smallest
// that fits, else the largest free one grown, else a new one) before the
// launch's operands are released, so a kernel never writes a buffer it reads.
//
//===----------------------------------------------------------------------===//

#include "codegen/PlanBuilder.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>

using namespace mlir;

int64_t mlir::lfm::assignActivationRegions(::lfm::Plan &plan) {
  size_t numActivations = plan.activations.size();
  std::vector<int64_t> lastUse(numActivations, -1);
  for (auto [index, launch] : llvm::enumerate(plan.launches)) {
    for (const ::lfm::BufferRef &ref : launch.operands)
      if (ref.kind == ::lfm::BufferRef::kActivation)
        lastUse[ref.index] = static_cast<int64_t>(index);
  }

  std::vector<int64_t> regionRowBytes;
  llvm::SmallVector<int32_t> freeRegions;
  auto rowBytes = [&](int32_t activation) {
    const ::lfm::ActivationSpec &spec = plan.activations[activation];
    return spec.width * ::lfm::dtypeSize(spec.dtype);
  };
  auto allocate = [&](int32_t activation) {
    int64_t need = rowBytes(activation);
    auto fits = [&](int32_t r) { return regionRowBytes[r] >= need; };
    auto best = freeRegions.end();
    for (auto it = freeRegions.begin(); it != freeRegions.end(); ++it) {
      if (best == freeRegions.end()) {
        best = it;
        continue;
      }
      bool itFits = fits(*it), bestFits = fits(*best);
      if (itFits != bestFits ? itFits
                             : (itFits ? regionRowBytes[*it] < regionRowBytes[*best]
                                       : regionRowBytes[*it] > regionRowBytes[*best]))
        best = it;
    }
    int32_t region;
    if (best != freeRegions.end()) {
      region = *best;
      freeRegions.erase(best);
    } else {
      region = static_cast<int32_t>(regionRowBytes.size());
      regionRowBytes.push_back(0);
    }
    regionRowBytes[region] = std::max(regionRowBytes[region], need);
    plan.activations[activation].region = region;
  };

  for (auto [index, launch] : llvm::enumerate(plan.launches)) {
    for (const ::lfm::BufferRef &ref : launch.results)
      if (ref.kind == ::lfm::BufferRef::kActivation)
        allocate(ref.index);
    auto release = [&](const ::lfm::BufferRef &ref) {
      if (ref.kind != ::lfm::BufferRef::kActivation ||
          lastUse[ref.index] > static_cast<int64_t>(index))
        return;
      int32_t region = plan.activations[ref.index].region;
      if (!llvm::is_contained(freeRegions, region))
        freeRegions.push_back(region);
    };
    for (const ::lfm::BufferRef &ref : launch.operands)
      release(ref);
    // A result nobody reads is dead right after its launch.
    for (const ::lfm::BufferRef &ref : launch.results)
      release(ref);
  }

  int64_t total = 0;
  for (int64_t bytes : regionRowBytes)
    total += bytes;
  return total;
}
