//===- PlanBuilder.h - lfm IR to the runtime's execution plan ---*- C++ -*-===//
//
// Turns the forward function into an lfm::Plan: one launch per op in program
// order, the weight plan from lfm.weight ops, state specs from the function's
// state arguments, and activation buffers assigned to arena regions by
// liveness.
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

/// Assigns every activation of `plan` to an arena region so that buffers
/// whose lifetimes overlap never share one. Returns the peak activation bytes
/// per token row (the arena is this times the maximum rows per step).
int64_t assignActivationRegions(::lfm::Plan &plan);

} // namespace mlir::lfm

#endif // LFM_CODEGEN_PLANBUILDER_H
