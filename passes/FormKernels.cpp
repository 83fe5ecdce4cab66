//===- FormKernels.cpp - one kernel launch per remaining op ---------------===//
//
// The last structural step before codegen: every op left in the forward
// function is a kernel op (fused or not). Marking each with its launch index
// makes the launch order visible in IR dumps and lets codegen check that it
// emits exactly what the pipeline formed.
//
//===----------------------------------------------------------------------===//

#include "passes/PassDetail.h"

namespace mlir::lfm {
#define GEN_PASS_DEF_FORMKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::lfm

using namespace mlir;
using namespace mlir::lfm;

namespace {

struct FormKernelsPass : lfm::impl::FormKernelsBase<FormKernelsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    auto *dialect = getContext().getLoadedDialect<LfmDialect>();
    Builder builder(&getContext());
    int64_t launch = 0;
    WalkResult result = func.walk([&](Operation *op) {
      if (op == func || isa<WeightOp, func::ReturnOp>(op))
        return WalkResult::advance();
      if (op->getDialect() != dialect) {
        op->emitOpError("has no lfm kernel: only lfm ops can run on a device");
        return WalkResult::interrupt();
      }
      op->setAttr(kLaunchAttr, builder.getI64IntegerAttr(launch++));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::lfm::createFormKernelsPass() {
  return std::make_unique<FormKernelsPass>();
}
