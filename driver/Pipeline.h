//===- Pipeline.h - The pass pipeline of a compile --------------*- C++ -*-===//
//
// The default pipeline (passes/Pipeline.cpp), or a textual one followed by
// kernel formation and buffer planning, which plan building always needs.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_PIPELINE_H
#define LFM_DRIVER_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::lfm::driver {

struct PipelineOptions {
  /// The weight-layout rewrite and the fusions (the default pipeline only).
  bool fusion = true;
  /// A pass pipeline to run instead of the default, e.g.
  /// "canonicalize,func.func(lfm-prune-logits)"; kernel formation and buffer
  /// planning run after it. Needs the passes registered (registerPasses).
  std::string pipeline;
  /// Store the linears' weights in this quantized format (q8_0, q4_0,
  /// q4_k; lfm-quantize-weights chooses the embedding's); empty: none. Runs
  /// first, also before a textual pipeline.
  std::string quantize;
  /// Where to write the IR after every pass (passes/IrDump.h); empty: none.
  std::string dumpIrDir;
  /// Apply MLIR's pass-manager command-line options (--mlir-timing, ...),
  /// which the tool registered with mlir::registerPassManagerCLOptions.
  bool applyCommandLineOptions = false;
};

/// Registers the passes a textual pipeline may name: lfm's, canonicalize and
/// cse.
void registerPasses();

/// Loads the dialects the importer, the parser and the pipeline need.
void loadDialects(MLIRContext &context);

/// Runs the pipeline on `module`. Pass failures are also reported as
/// diagnostics on the module's context.
llvm::Error runPipeline(ModuleOp module, const PipelineOptions &options);

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_PIPELINE_H
