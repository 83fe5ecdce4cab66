//===- LfmNames.h - Names the importer, passes and codegen share -*- C++ -*-===//
//
// The symbol and attribute names that cross layers: the importer names the
// forward function, kernel formation and buffer planning annotate ops, and
// plan building reads both. They live with the dialect so that codegen
// depends on ir/ alone, not on models/ or passes/.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_IR_LFMNAMES_H
#define LFM_IR_LFMNAMES_H

#include "llvm/ADT/StringRef.h"

namespace mlir::lfm {

/// The function the importer builds and plan building reads.
constexpr llvm::StringLiteral kForwardFunctionName = "lfm2_forward";

/// Set by lfm-form-kernels: the op's launch index in the plan.
constexpr llvm::StringLiteral kLaunchAttr = "lfm.launch";
/// Set by lfm-plan-buffers: the arena region of each result (-1: the output).
constexpr llvm::StringLiteral kRegionsAttr = "lfm.regions";
/// Set by lfm-plan-buffers on the function: the region count and the peak
/// activation bytes per token row.
constexpr llvm::StringLiteral kArenaRegionsAttr = "lfm.arena_regions";
constexpr llvm::StringLiteral kArenaRowBytesAttr = "lfm.arena_row_bytes";

} // namespace mlir::lfm

#endif // LFM_IR_LFMNAMES_H
