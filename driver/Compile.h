//===- Compile.h - The compiler driver's entry points -----------*- C++ -*-===//
//
// What lfm-compile, the tests and bindings call. A compile is
//
//   input ──ModelInput──▶ module ──Pipeline──▶ planned module
//         ──PlanStage──▶ verified plan ──cuda::emitKernels──▶ kernels
//         ──KernelBinaries──▶ binaries ──ArtifactOutput──▶ .lfma
//
// and these functions run its first stages; the tool takes each stage's
// output it was asked for (--emit mlir|plan|cuda|ptx) and the later stages
// are one call each.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_COMPILE_H
#define LFM_DRIVER_COMPILE_H

#include "driver/ModelInput.h"
#include "driver/Pipeline.h"
#include "driver/PlanStage.h"
#include "driver/StorageType.h"

#include "lfm/Plan.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::lfm::driver {

struct CompileOptions {
  /// The storage dtype of an imported config (.mlir inputs have theirs).
  StorageChoice storage = StorageChoice::Auto;
  /// The model config of an .mlir input; empty: from the IR.
  std::string configPath;
  PipelineOptions pipeline;
  PlanDefaults defaults;
};

/// Imports a config or checkpoint, or parses an .mlir file, and runs the
/// pipeline on it.
llvm::Expected<ModelModule> compileModule(MLIRContext &context,
                                          llvm::StringRef input,
                                          const CompileOptions &options);

/// compileModule, then the verified plan.
llvm::Expected<::lfm::Plan> compileToPlan(llvm::StringRef input,
                                          const CompileOptions &options = {});

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_COMPILE_H
