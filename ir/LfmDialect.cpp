//===- LfmDialect.cpp - The lfm dialect -----------------------------------===//

#include "ir/LfmDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lfm;

#include "ir/LfmDialect.cpp.inc"

void LfmDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "ir/LfmTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "ir/LfmOps.cpp.inc"
      >();
}

#define GET_TYPEDEF_CLASSES
#include "ir/LfmTypes.cpp.inc"
