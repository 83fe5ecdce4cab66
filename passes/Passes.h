//===- Passes.h - lfm passes ------------------------------------*- C++ -*-===//

#ifndef LFM_PASSES_PASSES_H
#define LFM_PASSES_PASSES_H

#include "ir/LfmNames.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <string>

namespace mlir::lfm {

// One constructor per pass of Passes.td (each in its own file).
std::unique_ptr<Pass> createPruneLogitsPass();
std::unique_ptr<Pass> createConcatProjectionsPass();
std::unique_ptr<Pass> createFuseGatedShortConvPass();
std::unique_ptr<Pass> createFuseQkNormRopeCachePass();
std::unique_ptr<Pass> createFuseSwigluPass();
std::unique_ptr<Pass> createFuseResidualEpiloguePass();
std::unique_ptr<Pass> createFuseAddRmsNormPass();
std::unique_ptr<Pass> createFuseNormProloguePass();
std::unique_ptr<Pass> createFormKernelsPass();
std::unique_ptr<Pass> createPlanBuffersPass();
/// `format`: the linears' format (q8_0, q4_0, q4_k); empty: the option's
/// default.
std::unique_ptr<Pass> createQuantizeWeightsPass(StringRef format = "");

/// Registers every lfm pass and the named pipelines with the global registry
/// (for lfm-opt and lfm-compile's pass options).
void registerLfmPasses();

struct PipelineOptions {
  /// Run the weight-layout rewrite and the fusions. Without them the plan
  /// runs the imported graph op by op, but for logits pruning (the reference
  /// that the fused plan must match).
  bool fusion = true;
  /// The linears' quantized format (lfm-quantize-weights); empty: none.
  std::string quantize;
};

/// Adds kernel formation and buffer planning, which codegen needs after any
/// pipeline, to a pass manager anchored on the module.
void addKernelFormation(OpPassManager &pm);

/// Adds the default compilation pipeline to `pm` (anchored on the module).
void buildDefaultPipeline(OpPassManager &pm,
                          const PipelineOptions &options = {});

} // namespace mlir::lfm

#endif // LFM_PASSES_PASSES_H
