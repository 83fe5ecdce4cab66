//===- ArtifactOutput.h - Plan and kernels to an .lfma file -----*- C++ -*-===//
//
// The artifact is the plan, the kernel table (with binaries when NVRTC made
// them), the tokenizer files and, with embedWeights, the converted weights.
//
//===----------------------------------------------------------------------===//

#ifndef LFM_DRIVER_ARTIFACTOUTPUT_H
#define LFM_DRIVER_ARTIFACTOUTPUT_H

#include "lfm/Artifact.h"
#include "lfm/TokenizerFiles.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::lfm::driver {

struct ArtifactOptions {
  /// Where the tokenizer files and the weights come from by default: a
  /// checkpoint folder or a GGUF (modelLocation in ModelInput.h).
  std::string model;
  /// Tokenizer files from here instead (a folder or a tokenizer.json).
  std::string tokenizerPath;
  /// Carry no tokenizer files.
  bool noTokenizer = false;
  /// Pack the weights, converted to the plan's layout, into the artifact.
  bool embedWeights = false;
  /// The checkpoint to embed; empty: model.
  std::string weightsPath;
  /// Told what the artifact lacks and why, when that is no error (a GGUF
  /// model whose tokenizer lfm does not read); null: not told.
  std::function<void(const std::string &)> warn;
};

/// The tokenizer files the artifact carries (none with noTokenizer),
/// verified. A GGUF model's unsupported tokenizer is a warning and no files:
/// the artifact still runs from token ids (lfm-run says so on text use); a
/// --tokenizer that cannot be read is an error.
llvm::Expected<::lfm::TokenizerFiles>
artifactTokenizerFiles(const ArtifactOptions &options);

/// Writes the artifact to `path`. The kernels' binaries are as given (see
/// KernelBinaries.h); the plan must have been verified.
llvm::Error writeArtifactFile(::lfm::Plan plan,
                              std::vector<::lfm::KernelInfo> kernels,
                              const ArtifactOptions &options,
                              llvm::StringRef path);

} // namespace mlir::lfm::driver

#endif // LFM_DRIVER_ARTIFACTOUTPUT_H
