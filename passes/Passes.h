//===- Passes.h - lfm passes ------------------------------------*- C++ -*-===//

#ifndef LFM_PASSES_PASSES_H
#define LFM_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::lfm {

/// Registers every lfm pass and the named pipelines with the global registry
/// (for lfm-opt and lfm-compile's pass options).
void registerLfmPasses();

/// Adds the default compilation pipeline to `pm` (anchored on the module).
void buildDefaultPipeline(OpPassManager &pm);

} // namespace mlir::lfm

#endif // LFM_PASSES_PASSES_H
