// Artifact + weights -> a plan with its host weights, from whichever source
// the caller names.
#include "absl/strings/str_cat.h"
#include "lfm/Gguf.h"
#include "lfm/Runtime.h"
#include "lfm/StatusMacros.h"

namespace lfm {
namespace {

// A GGUF is a whole model: its tokenizer stands in for the one an artifact
// compiled without tokenizer files lacks. An unsupported tokenizer is not an
// error here: the model still runs from token ids, and text use reports it.
absl::Status tokenizerFromGguf(const std::string &path, LoadedModel &model) {
  absl::StatusOr<TokenizerFiles> files = readTokenizerFilesAt(path);
  if (absl::IsUnimplemented(files.status())) {
    model.tokenizer_note = std::string(files.status().message());
    return absl::OkStatus();
  }
  LFM_RETURN_IF_ERROR(files.status());
  LFM_RETURN_IF_ERROR(verifyTokenizerFiles(*files, absl::StrCat(path, ": tokenizer")));
  model.tokenizer = std::move(*files);
  model.tokenizer_origin = path;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LoadedModel> loadModel(const ModelSource &source, const ProgressFn &progress) {
  if (!source.weights_path.empty() && source.random_seed.has_value()) {
    return absl::InvalidArgumentError(
        "give either a weights path or a random seed, not both");
  }
  LFM_ASSIGN_OR_RETURN(Artifact artifact, readArtifact(source.artifact_path));
  LoadedModel model;
  if (source.random_seed.has_value()) {
    model.weights = randomWeights(artifact.plan, *source.random_seed);
    model.weights_origin = absl::StrCat("random seed ", *source.random_seed);
  } else if (!source.weights_path.empty()) {
    LFM_ASSIGN_OR_RETURN(model.weights,
                         loadWeights(artifact.plan, source.weights_path, progress));
    model.weights_origin = absl::StrCat("checkpoint ", source.weights_path);
  } else if (artifact.has_embedded_weights) {
    LFM_ASSIGN_OR_RETURN(model.weights, readEmbeddedWeights(artifact));
    model.weights_origin = "embedded";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        source.artifact_path,
        " has no embedded weights: give a checkpoint path or a random seed"));
  }
  model.plan = std::move(artifact.plan);
  model.kernels = std::move(artifact.kernels);
  model.tokenizer = std::move(artifact.tokenizer);
  model.tokenizer_origin = source.artifact_path;
  if (model.tokenizer.empty() && !source.weights_path.empty() && isGgufPath(source.weights_path))
    LFM_RETURN_IF_ERROR(tokenizerFromGguf(source.weights_path, model));
  return model;
}

}  // namespace lfm
