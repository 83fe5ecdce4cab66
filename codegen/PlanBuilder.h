//===- PlanBuilder.h - lfm IR to the runtime's execution plan ---*- C++ -*-===//
//
// Turns the forward function, after the pipeline's kernel formation and
// buffer planning, into an lfm::Plan: one launch per kernel op in launch
// order, the weight plan from lfm.weight ops, state specs from the
// function's state arguments, and activation buffers in the arena regions
// lfm-plan-buffers chose.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_CODEGEN_PLANBUILDER_H
#define LFM_CODEGEN_PLANBUILDER_H

#include "lfm/Plan.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

namespace mlir::lfm {

/// Builds the plan of `module`'s forward function for `config`. Errors are
/// emitted on the offending op.
FailureOr<::lfm::Plan> buildPlan(ModuleOp module,
                                 const ::lfm::ModelConfig &config);

} // namespace mlir::lfm

#endif // LFM_CODEGEN_PLANBUILDER_H
