// Artifact + weights -> a plan with its host weights, from whichever source
// the caller names.
#include "absl/strings/str_cat.h"
#include "lfm/Runtime.h"
#include "lfm/StatusMacros.h"

namespace lfm {

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
  return model;
}

}  // namespace lfm
