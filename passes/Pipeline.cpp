//===- Pipeline.cpp - lfm pass registration and pipelines -----------------===//

#include "ir/LfmDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::lfm;

namespace mlir::lfm::generated {
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace mlir::lfm::generated

/// The weight-layout rewrite and the fusions, in the order they compose.
static void addFusionPasses(OpPassManager &func) {
  // Stack q|k|v and w1|w3: the SwiGLU and q/k fusions match their slices.
  func.addPass(createConcatProjectionsPass());
  func.addPass(createFuseGatedShortConvPass());
  func.addPass(createFuseQkNormRopeCachePass());
  func.addPass(createFuseSwigluPass());
  // Residual adds go into the out_proj / w2 epilogues before add+norm gets a
  // chance: the norm that follows then fuses into the next linear's prologue
  // (one launch fewer per add than add_rms_norm). add_rms_norm catches the
  // adds that no linear could take.
  func.addPass(createFuseResidualEpiloguePass());
  func.addPass(createFuseAddRmsNormPass());
  func.addPass(createFuseNormProloguePass());
}

void mlir::lfm::buildDefaultPipeline(OpPassManager &pm,
                                     const PipelineOptions &options) {
  // The graph the importer builds is already minimal; canonicalize and CSE
  // keep hand-written inputs in the same normal form.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  OpPassManager &func = pm.nest<func::FuncOp>();
  // Before stacking: each weight is still one checkpoint tensor with its uses.
  if (!options.quantize.empty())
    func.addPass(createQuantizeWeightsPass(options.quantize));
  // Pruning is not a fusion and runs in both pipelines: the plan's logits
  // buffer has only the requested rows, so lm_head must run on those alone.
  // It goes first, while the final norm and lm_head are still plain ops.
  func.addPass(createPruneLogitsPass());
  if (options.fusion)
    addFusionPasses(func);
  addKernelFormation(pm);
}

void mlir::lfm::addKernelFormation(OpPassManager &pm) {
  // Whatever is left becomes one launch per op, with arena regions by
  // liveness: what codegen turns into the plan.
  OpPassManager &func = pm.nest<func::FuncOp>();
  func.addPass(createFormKernelsPass());
  func.addPass(createPlanBuffersPass());
}

void mlir::lfm::registerLfmPasses() {
  generated::registerLfmPasses();
  PassPipelineRegistration<>(
      "lfm-default-pipeline", "The default lfm compilation pipeline",
      [](OpPassManager &pm) { buildDefaultPipeline(pm); });
  PassPipelineRegistration<>(
      "lfm-unfused-pipeline",
      "The default pipeline without the weight-layout rewrite and the fusions "
      "(lfm-compile --no-fusion)",
      [](OpPassManager &pm) { buildDefaultPipeline(pm, {/*fusion=*/false}); });
}
