// lfm-run: run a compiled LFM2 artifact on text prompts, a chat, or token
// ids. See runHelp() in RunOptions.cpp for the options.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "Generate.h"
#include "Report.h"
#include "RunOptions.h"
#include "TextRun.h"
#include "absl/strings/str_cat.h"
#include "lfm/GenerationConfig.h"
#include "lfm/Runtime.h"

namespace {

int fail(const absl::Status &status) {
  std::cerr << "lfm-run: error: " << status.message() << "\n";
  return 1;
}

int run(int argc, char **argv) {
  using namespace lfm;
  absl::StatusOr<tools::RunOptions> parsed = tools::parseRunOptions(argc, argv);
  if (!parsed.ok()) {
    std::cerr << "lfm-run: error: " << parsed.status().message() << "\n(see lfm-run --help)\n";
    return 1;
  }
  const tools::RunOptions &opt = *parsed;
  if (opt.help) {
    std::cout << tools::runHelp();
    return 0;
  }

  // The device first, so that --device cuda without a GPU fails before the
  // weights are read; then the artifact's kernels, which may send auto back
  // to the cpu device.
  absl::StatusOr<CreatedDevice> device = createDevice({opt.device, opt.threads});
  if (!device.ok()) return fail(device.status());

  auto load_start = std::chrono::steady_clock::now();
  absl::StatusOr<LoadedModel> model =
      loadModel({opt.artifact, opt.weights, opt.random_seed});
  if (!model.ok()) return fail(model.status());
  // The text layer before the weights go to the device: a missing or
  // unsupported tokenizer fails fast. --prompt-ids needs none, but uses the
  // generation defaults when there are some.
  const bool text_mode = opt.chat || !opt.text_prompts.empty();
  std::optional<TextModel> text;
  if (text_mode || !opt.tokenizer.empty()) {
    absl::StatusOr<TextModel> loaded =
        tools::loadRunTextModel(opt.tokenizer, *model, opt.artifact);
    if (!loaded.ok()) return fail(loaded.status());
    text = std::move(*loaded);
  }
  GenerationConfig generation;
  if (text) {
    generation = text->generation;
  } else if (!model->tokenizer.generation_config_json.empty()) {
    absl::StatusOr<GenerationConfig> parsed = parseGenerationConfig(
        model->tokenizer.generation_config_json, model->tokenizer_origin + ": generation_config.json");
    if (!parsed.ok()) return fail(parsed.status());
    generation = *parsed;
  }
  absl::StatusOr<SamplingOptions> sampling = tools::resolveSampling(opt, generation.sampling());
  if (!sampling.ok()) return fail(sampling.status());
  if (absl::Status s = bindModelKernels({opt.device, opt.threads}, *device, model->plan,
                                        model->kernels);
      !s.ok()) {
    return fail(s);
  }
  if (!device->note.empty()) std::cerr << "lfm-run: " << device->note << "\n";
  const std::string device_name = device->device->name();
  const Plan &plan = model->plan;
  SessionOptions session_options{opt.slots, opt.max_seq_len};
  if (session_options.slots == 0) {
    session_options.slots = std::max<int64_t>(
        plan.default_slots,
        static_cast<int64_t>(std::max(opt.prompts.size(), opt.text_prompts.size())));
  }
  std::string weights_origin = model->weights_origin;
  absl::StatusOr<std::unique_ptr<Session>> session = Session::create(
      std::move(device->device), plan, std::move(model->weights), session_options);
  if (!session.ok()) return fail(session.status());
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const StateShape &shape = (*session)->pool().shape();
  std::cerr << "lfm-run: " << device_name << " device, weights: " << weights_origin << ", "
            << shape.slots << " slots x " << shape.max_seq_len << " tokens\n";

  tools::GenerateOptions gen;
  gen.max_new_tokens = opt.max_new_tokens.value_or(
      generation.max_new_tokens.value_or(opt.chat ? 256 : text_mode ? 128 : 16));
  gen.sampling = *sampling;
  if (!opt.ignore_eos) {
    gen.eos_tokens = text ? text->eosIds(plan.config.eos_token_id) : generation.eos_token_ids;
    if (!text && plan.config.eos_token_id >= 0 &&
        std::find(gen.eos_tokens.begin(), gen.eos_tokens.end(), plan.config.eos_token_id) ==
            gen.eos_tokens.end())
      gen.eos_tokens.push_back(static_cast<int32_t>(plan.config.eos_token_id));
  }
  gen.prefill_chunk = opt.prefill_chunk;
  gen.all_logits = opt.all_logits;
  gen.keep_logits = !opt.dump_logits.empty();
  if (opt.chat) {
    absl::Status chat = tools::runChat(**session, *text, opt.system, opt.stops, gen, std::cin, std::cout);
    return chat.ok() ? 0 : fail(chat);
  }
  const bool stream = text_mode && !opt.json && opt.text_prompts.size() == 1;
  absl::StatusOr<tools::GenerateResult> result =
      text_mode ? tools::runTextPrompts(**session, *text, opt.text_prompts, opt.stops, gen, stream,
                                        std::cout)
                : tools::generate(**session, opt.prompts, gen);
  if (!result.ok()) return fail(result.status());

  if (!opt.dump_logits.empty()) {
    if (absl::Status s = tools::dumpLogits(*result, opt.dump_logits); !s.ok()) return fail(s);
  }
  if (opt.json) {
    std::cout << tools::jsonSummary(*result, {device_name, weights_origin, load_seconds});
  } else if (stream) {
    std::cout << "\n";
  } else if (text_mode) {
    for (size_t i = 0; i < result->sequences.size(); ++i)
      std::cout << "--- sequence " << i << " ---\n" << result->sequences[i].text.value_or("") << "\n";
  } else {
    std::cout << tools::tokenLines(*result);
  }
  std::cout.flush();
  return std::cout.good() ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) { return run(argc, argv); }
