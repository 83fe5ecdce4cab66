//===- IrDump.h - the IR after every pass, one file each --------*- C++ -*-===//

#ifndef LFM_PASSES_IRDUMP_H
#define LFM_PASSES_IRDUMP_H

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::lfm {

/// Makes `pm` write the module after every pass to `dir`, numbered in order
/// and named for the pass (`03-lfm-concat-projections.mlir`); `00-input.mlir`
/// is written when the run starts. Creates `dir` if needed; fails (with a
/// message on stderr) if it cannot.
LogicalResult addIrDump(PassManager &pm, llvm::StringRef dir);

} // namespace mlir::lfm

#endif // LFM_PASSES_IRDUMP_H
