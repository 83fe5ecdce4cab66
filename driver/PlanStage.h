//===- PlanStage.h - The planned module to a verified plan ------*- C++ -*-===//
//
// Plan building (codegen/PlanBuilder) plus what the plan needs besides the
// IR: its storage dtype and the runtime defaults; then the runtime's own
// check (lfm::verifyPlan), so that the compiler never emits a plan the
// runtime would reject.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_PLANSTAGE_H
#define LFM_DRIVER_PLANSTAGE_H

#include "lfm/ModelConfig.h"
#include "lfm/Plan.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace mlir::lfm::driver {

/// The defaults the runtime sizes its pools by unless told otherwise.
struct PlanDefaults {
  int64_t maxSeqLen = 4096;        // KV-cache capacity per slot, in tokens
  int64_t slots = 8;               // state slots
  int64_t maxTokensPerStep = 512;  // sizes the activation arena
};

/// The plan of `module` (after kernel formation and buffer planning),
/// verified. Plan-building errors are also diagnostics on the offending ops.
llvm::Expected<::lfm::Plan> buildVerifiedPlan(ModuleOp module,
                                              const ::lfm::ModelConfig &config,
                                              const PlanDefaults &defaults = {});

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_PLANSTAGE_H
