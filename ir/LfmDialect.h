//===- LfmDialect.h - The lfm dialect ---------------------------*- C++ -*-===//
//
// Include this header to use the lfm dialect: it brings in the dialect, its
// state types and its ops.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_IR_LFMDIALECT_H
#define LFM_IR_LFMDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

#include "ir/LfmDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "ir/LfmTypes.h.inc"

#define GET_OP_CLASSES
#include "ir/LfmOps.h.inc"

#endif // LFM_IR_LFMDIALECT_H
