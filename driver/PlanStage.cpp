//===- PlanStage.cpp - The planned module to a verified plan --------------===//

#include "driver/PlanStage.h"

#include "codegen/PlanBuilder.h"
#include "driver/Errors.h"
#include "lfm/Artifact.h"

namespace mlir::lfm::driver {

llvm::Expected<::lfm::Plan> buildVerifiedPlan(ModuleOp module,
                                              const ::lfm::ModelConfig &config,
                                              const PlanDefaults &defaults) {
  FailureOr<::lfm::Plan> plan = buildPlan(module, config);
  if (failed(plan))
    return makeError("could not build the launch plan");
  plan->default_max_seq_len = defaults.maxSeqLen;
  plan->default_slots = defaults.slots;
  plan->max_tokens_per_step = defaults.maxTokensPerStep;
  if (absl::Status status = ::lfm::verifyPlan(*plan); !status.ok())
    return makeError("internal error: invalid plan: " +
                     std::string(status.message()));
  return std::move(*plan);
}

} // namespace mlir::lfm::driver
