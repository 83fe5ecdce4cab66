// The lfm runtime's public API, in one include. It loads a compiled artifact
// (.lfma) and its weights, creates a device and a state pool, and runs steps
// over ragged batches of sequences:
//
//   auto model = lfm::loadModel({.artifact_path = "model.lfma",
//                                .weights_path = "LFM2-350M/"});
//   lfm::DeviceOptions options{.kind = lfm::DeviceKind::kAuto};
//   auto dev = lfm::createDevice(options);
//   // The artifact's GPU kernels (cuda, emu); auto falls back to the cpu
//   // device when the GPU cannot run them (dev->note says why).
//   lfm::bindModelKernels(options, *dev, model->plan, model->kernels);
//   auto session = lfm::Session::create(std::move(dev->device), model->plan,
//                                       std::move(model->weights), {});
//   (*session)->claim(/*request_id=*/1);
//   lfm::SequenceStep seq{1, prompt_tokens};
//   auto out = (*session)->step({&seq, 1});  // out->lastRow(0): next-token logits
//   auto sampler = lfm::Sampler::create({.temperature = 0.7f, .seed = 1});
//
// Parts: Device.h (devices and step inputs), StatePool.h (slots), Session.h
// (steps), Sampler.h (next-token choice), Plan.h (what devices execute),
// Artifact.h and WeightLoader.h (files). Errors are absl::Status values whose
// messages say what failed and where; nothing aborts on bad input. There is
// no global state: every device, pool and session is its own object.
#ifndef LFM_RUNTIME_H
#define LFM_RUNTIME_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lfm/Artifact.h"
#include "lfm/Device.h"
#include "lfm/HostWeights.h"
#include "lfm/Plan.h"
#include "lfm/Sampler.h"
#include "lfm/Session.h"
#include "lfm/StatePool.h"
#include "lfm/TextModel.h"
#include "lfm/WeightLoader.h"

namespace lfm {

// Where a model's plan and weights come from. Exactly one weight source:
// a checkpoint (`weights_path`), a seed (`random_seed`), or, with neither,
// the weights embedded in the artifact.
struct ModelSource {
  std::string artifact_path;
  std::string weights_path;  // a checkpoint folder, .safetensors or .gguf file
  std::optional<uint64_t> random_seed;
};

struct LoadedModel {
  Plan plan;
  HostWeights weights;
  // The artifact's GPU kernels: give them to the device (bindModelKernels)
  // before creating the session.
  std::vector<KernelInfo> kernels;
  std::string weights_origin;  // "checkpoint PATH", "embedded", "random seed N": for messages
  // The text files the artifact carries; when it carries none and the
  // weights are a GGUF, those of the GGUF's tokenizer (may be empty).
  TokenizerFiles tokenizer;
  std::string tokenizer_origin;  // the file `tokenizer` came from, for messages
  // Why `tokenizer` is empty when the reason is known: the GGUF's tokenizer
  // is of a kind lfm does not read (token-id prompts still run).
  std::string tokenizer_note;
};

// Reads and verifies the artifact, then binds its weights. Loading a
// checkpoint reports progress through `progress` (stderr by default). A
// GGUF whose tokenizer is unsupported still loads (see tokenizer_note).
absl::StatusOr<LoadedModel> loadModel(const ModelSource &source,
                                      const ProgressFn &progress = stderrProgress("loading weights"));

// The model's text side (tokenizer, chat template, generation defaults):
// from `tokenizer_path` (a folder, tokenizer.json or GGUF) when given, else
// from the files `model` carries; nullopt when it carries none
// (model.tokenizer_note says why when that is known).
absl::StatusOr<std::optional<TextModel>> loadModelText(const LoadedModel &model,
                                                       const std::string &tokenizer_path);
// The same from a model's tokenizer files alone (`origin`: the file they came
// from, for messages), for a caller that keeps those and not the model.
absl::StatusOr<std::optional<TextModel>> loadModelText(const TokenizerFiles &model_files,
                                                       const std::string &origin,
                                                       const std::string &tokenizer_path);

}  // namespace lfm

#endif  // LFM_RUNTIME_H
