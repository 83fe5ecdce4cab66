//===- Pipeline.cpp - lfm pass registration and pipelines -----------------===//

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::lfm::buildDefaultPipeline(OpPassManager &pm) {
  // The graph the importer builds is already minimal; canonicalize and CSE
  // keep hand-written inputs in the same normal form.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::lfm::registerLfmPasses() {
  PassPipelineRegistration<>("lfm-default-pipeline",
                             "The default lfm compilation pipeline",
                             buildDefaultPipeline);
}
