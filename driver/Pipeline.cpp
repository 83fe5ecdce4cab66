//===- Pipeline.cpp - The pass pipeline of a compile ----------------------===//

#include "driver/Pipeline.h"

#include "driver/Errors.h"
#include "ir/LfmDialect.h"
#include "passes/IrDump.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::lfm::driver {

void registerPasses() {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::lfm::registerLfmPasses();
}

void loadDialects(MLIRContext &context) {
  context.loadDialect<LfmDialect, func::FuncDialect>();
}

llvm::Error runPipeline(ModuleOp module, const PipelineOptions &options) {
  PassManager pm(module.getContext());
  if (options.applyCommandLineOptions)
    applyPassManagerCLOptions(pm);
  if (!options.dumpIrDir.empty() && failed(addIrDump(pm, options.dumpIrDir)))
    return makeError("cannot write the IR dumps to " + options.dumpIrDir);
  if (options.pipeline.empty()) {
    buildDefaultPipeline(pm, {/*fusion=*/options.fusion, options.quantize});
  } else {
    if (!options.quantize.empty())
      pm.nest<func::FuncOp>().addPass(
          createQuantizeWeightsPass(options.quantize));
    if (failed(parsePassPipeline(options.pipeline, pm)))
      return makeError("invalid --pipeline");
    addKernelFormation(pm);
  }
  if (failed(pm.run(module)))
    return makeError("the compilation pipeline failed");
  return llvm::Error::success();
}

} // namespace mlir::lfm::driver
