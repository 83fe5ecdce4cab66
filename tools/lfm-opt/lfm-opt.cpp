//===- lfm-opt.cpp - mlir-opt for the lfm dialect -------------------------===//
//
// Parses, verifies and transforms .mlir files with the lfm dialect and every
// lfm pass registered (`lfm-opt --help` lists them).
//
//===----------------------------------------------------------------------===//

#include "ir/LfmDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::lfm::registerLfmPasses();
  mlir::DialectRegistry registry;
  registry.insert<mlir::lfm::LfmDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "lfm optimizer driver\n", registry));
}
