//===- ArtifactOutput.cpp - Plan and kernels to an .lfma file -------------===//

#include "driver/ArtifactOutput.h"

#include "driver/Errors.h"
#include "lfm/Gguf.h"
#include "lfm/WeightLoader.h"

#include <optional>

namespace mlir::lfm::driver {

llvm::Expected<::lfm::TokenizerFiles>
artifactTokenizerFiles(const ArtifactOptions &options) {
  if (options.noTokenizer)
    return ::lfm::TokenizerFiles{};
  absl::StatusOr<::lfm::TokenizerFiles> files;
  if (!options.tokenizerPath.empty()) {
    files = ::lfm::readTokenizerFilesAt(options.tokenizerPath);
    if (files.ok() && files->tokenizer_json.empty())
      return makeError("--tokenizer " + options.tokenizerPath +
                       ": no tokenizer.json there");
  } else if (::lfm::isGgufPath(options.model)) {
    files = ::lfm::readTokenizerFilesAt(options.model);
    if (absl::IsUnimplemented(files.status())) {
      if (options.warn)
        options.warn(
            std::string(files.status().message()) +
            "; the artifact carries no tokenizer (it runs from token ids, "
            "or with --tokenizer PATH)");
      return ::lfm::TokenizerFiles{};
    }
  } else {
    files = ::lfm::readTokenizerFiles(options.model);
  }
  if (!files.ok())
    return toError(files.status());
  if (llvm::Error error =
          toError(::lfm::verifyTokenizerFiles(*files, "tokenizer files")))
    return std::move(error);
  return std::move(*files);
}

llvm::Error writeArtifactFile(::lfm::Plan plan,
                              std::vector<::lfm::KernelInfo> kernels,
                              const ArtifactOptions &options,
                              llvm::StringRef path) {
  ::lfm::Artifact artifact;
  artifact.plan = std::move(plan);
  artifact.kernels = std::move(kernels);
  llvm::Expected<::lfm::TokenizerFiles> tokenizer =
      artifactTokenizerFiles(options);
  if (!tokenizer)
    return tokenizer.takeError();
  artifact.tokenizer = std::move(*tokenizer);
  std::optional<::lfm::HostWeights> weights;
  if (options.embedWeights) {
    const std::string &checkpoint =
        options.weightsPath.empty() ? options.model : options.weightsPath;
    absl::StatusOr<::lfm::HostWeights> loaded = ::lfm::loadWeights(
        artifact.plan, checkpoint, ::lfm::stderrProgress("loading weights"));
    if (!loaded.ok())
      return toError(loaded.status());
    weights = std::move(*loaded);
  }
  return toError(::lfm::writeArtifact(artifact, weights ? &*weights : nullptr,
                                      path.str()));
}

} // namespace mlir::lfm::driver
