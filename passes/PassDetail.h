//===- PassDetail.h - generated pass bases ----------------------*- C++ -*-===//
//
// Included by every pass file for the base class mlir-tblgen generates from
// Passes.td (each file defines the GEN_PASS_DEF_ macro of its own pass).
//
//===----------------------------------------------------------------------===//

#ifndef LFM_PASSES_PASSDETAIL_H
#define LFM_PASSES_PASSDETAIL_H

#include "ir/LfmDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#endif // LFM_PASSES_PASSDETAIL_H
