//===- PlanPrinter.h - human-readable launch plans --------------*- C++ -*-===//

#ifndef LFM_CODEGEN_PLANPRINTER_H
#define LFM_CODEGEN_PLANPRINTER_H

#include "lfm/Plan.h"

#include "llvm/Support/raw_ostream.h"

namespace mlir::lfm {

/// Prints one line per kernel launch (op, attributes, the buffers it reads
/// and writes with their shapes), then totals: launches per step, weight
/// bytes and peak activation bytes for `maxTokens` rows.
void printPlan(const ::lfm::Plan &plan, llvm::raw_ostream &os);

} // namespace mlir::lfm

#endif // LFM_CODEGEN_PLANPRINTER_H
