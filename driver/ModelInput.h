//===- ModelInput.h - A model to the lfm IR it compiles from ----*- C++ -*-===//
//
// The compiler's inputs: a Hugging Face LFM2 config (config.json or a
// checkpoint folder) or an LFM2 GGUF (its metadata as config.json, see
// lfm/GgufLfm2.h), imported into the lfm dialect; or an .mlir file at any
// stage the pipeline accepts (imported, fused, kernel-formed and planned, as
// `--dump-ir` and lfm-opt print it), parsed. The pipeline runs on either;
// on IR it has already run on, it changes nothing.
//
// A plan's layer numbers come from the ops' locations
// (`loc("model.layers.3")`), which --dump-ir's files do not carry: their
// plans and kernels are the model's, less the layer column of --emit plan.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_MODELINPUT_H
#define LFM_DRIVER_MODELINPUT_H

#include "driver/StorageType.h"
#include "lfm/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::lfm::driver {

/// A module and the config of the model it computes.
struct ModelModule {
  ::lfm::ModelConfig config;
  OwningOpRef<ModuleOp> module;
};

/// Whether `path` names lfm IR (an .mlir file, or "-" for stdin) rather than
/// a config.
bool isMlirInput(llvm::StringRef path);

/// The config of `path`: a config.json, a checkpoint folder holding one, or
/// an LFM2 GGUF (read by the same config parser, models/Lfm2Config.h). A
/// GGUF of another architecture is an error naming it.
llvm::Expected<::lfm::ModelConfig> loadModelConfig(llvm::StringRef path);

/// Loads the config at `path` and imports the model with `storage`.
llvm::Expected<ModelModule> importModel(MLIRContext &context,
                                        llvm::StringRef path,
                                        StorageChoice storage);

/// Parses and verifies the .mlir file at `path` ('-' for stdin); the config
/// comes from `configPath` (a config.json or checkpoint), else from the IR
/// (ConfigFromIr.h). The IR's element types are its storage dtype. Parse
/// errors are diagnostics on `context` (printed to stderr by default).
llvm::Expected<ModelModule> parseModel(MLIRContext &context,
                                       llvm::StringRef path,
                                       llvm::StringRef configPath);

/// Where an input's tokenizer files and weights are: the input itself (a
/// checkpoint folder or a GGUF), or the folder holding the config file ("."
/// for a bare file name).
std::string modelLocation(llvm::StringRef path);

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_MODELINPUT_H
