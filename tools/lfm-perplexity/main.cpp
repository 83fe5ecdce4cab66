// lfm-perplexity: the perplexity of a compiled model on a text, and with
// --reference the KL divergence of its next-token distributions from a
// reference model's, reported as llama.cpp's llama-perplexity reports them.
//
//   lfm-perplexity q4_0.lfma --text held-out.txt --reference bf16.lfma --ctx 256
//
// The text is cut into windows of --ctx tokens, each run from an empty
// state; in each window every position from --skip on is scored against the
// token that follows it (the last against the next window's first token).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "ArgParser.h"
#include "Scoring.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lfm/ReadFile.h"
#include "lfm/Runtime.h"
#include "lfm/StatusMacros.h"
#include "lfm/TextModel.h"
#include "nlohmann/json.hpp"

namespace lfm::tools {
namespace {

constexpr uint64_t kMaxInputBytes = uint64_t{1} << 30;

struct Options {
  std::string artifact, weights, reference, reference_weights, text, ids, tokenizer;
  int64_t ctx = 512, skip = 0, chunks = 0;
  DeviceOptions device;
  bool json = false, help = false;
};

ArgParser makeParser() {
  ArgParser p;
  p.addOption("weights", "PATH",
              "The model's checkpoint (folder, .safetensors or .gguf); optional when the "
              "artifact embeds its weights.");
  p.addOption("text", "FILE",
              "The text to score, tokenized with the model's tokenizer with nothing added: "
              "special tokens written in the text (e.g. <|startoftext|>) are those tokens.");
  p.addOption("ids", "FILE", "The token ids to score instead of --text (whitespace or comma separated).");
  p.addOption("tokenizer", "PATH",
              "The tokenizer for --text (default: the artifact's, else the GGUF --weights').");
  p.addOption("reference", "ARTIFACT",
              "A reference model (e.g. the unquantized one): adds its perplexity, the KL "
              "divergence KL(reference || model) per token and the top-token agreement.");
  p.addOption("reference-weights", "PATH", "The reference's checkpoint (default: --weights).");
  p.addOption("ctx", "N", "Tokens per window (default 512); each window starts from an empty state.");
  p.addOption("skip", "N",
              "Score positions from N on in each window (default 0: all; llama-perplexity "
              "scores the second half, --skip CTX/2).");
  p.addOption("chunks", "N", "Score the first N windows only (default: all).");
  p.addOption("device", "cpu|cuda|auto|emu", "Where to run both models (default cpu).");
  p.addOption("threads", "N", "CPU device threads (default: all hardware threads).");
  p.addFlag("json", "Print the results as one JSON object.");
  p.addFlag("help", "Show this help.");
  return p;
}

std::string help() {
  return "usage: lfm-perplexity ARTIFACT (--text FILE | --ids FILE) [options]\n\n"
         "Perplexity of a compiled model on a text and, with --reference, the KL divergence of\n"
         "its next-token distributions from the reference's, as llama.cpp's llama-perplexity\n"
         "reports them. The text is cut into windows of --ctx tokens, each run from an empty\n"
         "state; every position from --skip on is scored against the token that follows it.\n\n" +
         makeParser().optionsHelp();
}

absl::StatusOr<Options> parseOptions(int argc, char **argv) {
  ArgParser p = makeParser();
  LFM_RETURN_IF_ERROR(p.parse(argc, argv));
  Options o;
  o.help = p.has("help");
  if (o.help) return o;
  if (p.positional().size() != 1)
    return absl::InvalidArgumentError("give one artifact (lfm-perplexity ARTIFACT --text FILE)");
  o.artifact = p.positional()[0];
  o.weights = p.value("weights").value_or("");
  o.reference = p.value("reference").value_or("");
  o.reference_weights = p.value("reference-weights").value_or(o.weights);
  if (p.has("reference-weights") && o.reference.empty())
    return absl::InvalidArgumentError("--reference-weights needs --reference");
  o.text = p.value("text").value_or("");
  o.ids = p.value("ids").value_or("");
  if (o.text.empty() == o.ids.empty()) return absl::InvalidArgumentError("give one of --text and --ids");
  o.tokenizer = p.value("tokenizer").value_or("");
  LFM_RETURN_IF_ERROR(intOption(p, "ctx", 2, int64_t{1} << 20, o.ctx));
  LFM_RETURN_IF_ERROR(intOption(p, "skip", 0, int64_t{1} << 20, o.skip));
  if (o.skip >= o.ctx)
    return absl::InvalidArgumentError(absl::StrCat("--skip ", o.skip, " leaves nothing of a window of --ctx ", o.ctx));
  LFM_RETURN_IF_ERROR(intOption(p, "chunks", 1, int64_t{1} << 40, o.chunks));
  if (auto v = p.value("device")) {
    LFM_ASSIGN_OR_RETURN(o.device.kind, parseDeviceKind(*v));
  }
  int64_t threads = 0;
  LFM_RETURN_IF_ERROR(intOption(p, "threads", 1, 4096, threads));
  o.device.threads = static_cast<int>(threads);
  o.json = p.has("json");
  return o;
}

absl::StatusOr<std::vector<int32_t>> readIds(const std::string &path) {
  LFM_ASSIGN_OR_RETURN(std::string text, readFileToString(path, kMaxInputBytes));
  std::vector<int32_t> ids;
  for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" \t\r\n,"), absl::SkipEmpty())) {
    int32_t id;
    if (!absl::SimpleAtoi(word, &id) || id < 0)
      return absl::InvalidArgumentError(absl::StrCat(path, ": token ", ids.size(), ": '", word,
                                                     "' is not a token id"));
    ids.push_back(id);
  }
  return ids;
}

// One model on its own device, with one slot of `ctx` tokens.
struct Runner {
  std::unique_ptr<Session> session;
  std::string name;
  // The model's tokenizer files, where they came from, and why they are
  // missing when that is known (LoadedModel's fields of those names).
  TokenizerFiles tokenizer;
  std::string tokenizer_origin;
  std::string tokenizer_note;
};

absl::StatusOr<Runner> openRunner(const std::string &artifact, const std::string &weights,
                                  const DeviceOptions &device_options, int64_t ctx) {
  LFM_ASSIGN_OR_RETURN(CreatedDevice device, createDevice(device_options));
  Runner r;
  LFM_ASSIGN_OR_RETURN(LoadedModel model, loadModel({artifact, weights, std::nullopt}));
  LFM_RETURN_IF_ERROR(bindModelKernels(device_options, device, model.plan, model.kernels));
  r.name = artifact;
  LFM_ASSIGN_OR_RETURN(r.session, Session::create(std::move(device.device), model.plan,
                                                  std::move(model.weights), {1, ctx}));
  r.tokenizer = std::move(model.tokenizer);
  r.tokenizer_origin = std::move(model.tokenizer_origin);
  r.tokenizer_note = std::move(model.tokenizer_note);
  return r;
}

absl::StatusOr<std::vector<int32_t>> tokenize(const Options &o, const Runner &r) {
  LFM_ASSIGN_OR_RETURN(std::optional<TextModel> text,
                       loadModelText(r.tokenizer, r.tokenizer_origin, o.tokenizer));
  if (!text) {
    return absl::FailedPreconditionError(absl::StrCat(
        o.artifact, " carries no tokenizer",
        r.tokenizer_note.empty() ? "" : absl::StrCat(" and ", r.tokenizer_note),
        "; give --tokenizer PATH or --ids FILE"));
  }
  LFM_ASSIGN_OR_RETURN(std::string contents, readFileToString(o.text, kMaxInputBytes));
  absl::StatusOr<std::vector<int32_t>> ids = text->tokenizer->encode(contents, /*add_special_tokens=*/false);
  if (!ids.ok()) return absl::Status(ids.status().code(), absl::StrCat(o.text, ": ", ids.status().message()));
  return ids;
}

// The logits of every position of `window`, run from an empty state in
// steps the plan takes.
absl::StatusOr<std::vector<float>> windowLogits(Runner &r, std::span<const int32_t> window) {
  Session &s = *r.session;
  s.reset();
  LFM_RETURN_IF_ERROR(s.claim(0).status());
  const int64_t budget = s.plan().max_tokens_per_step;
  std::vector<float> logits;
  for (size_t at = 0; at < window.size(); at += static_cast<size_t>(budget)) {
    const size_t n = std::min(window.size() - at, static_cast<size_t>(budget));
    SequenceStep seq{0, window.subspan(at, n)};
    absl::StatusOr<StepResult> out = s.step({&seq, 1}, {.all_logits = true});
    if (!out.ok()) return absl::Status(out.status().code(), absl::StrCat(r.name, ": ", out.status().message()));
    logits.insert(logits.end(), out->logits.begin(), out->logits.end());
  }
  LFM_RETURN_IF_ERROR(s.release(0));
  return logits;
}

std::string report(const ScoreSummary &s, const Options &o, int64_t windows, double seconds) {
  std::string out = absl::StrFormat(
      "%d tokens scored in %d windows of %d (skip %d), %.1f s\nperplexity: %.4f +/- %.4f\n",
      s.tokens, windows, o.ctx, o.skip, seconds, s.perplexity, s.perplexity_error);
  if (!s.has_reference) return out;
  absl::StrAppendFormat(&out,
                        "reference perplexity: %.4f\nln(PPL / PPL_ref): %.6f\n"
                        "KL divergence: mean %.6f, median %.6f, 99%% %.6f, max %.6f\n"
                        "same top token: %.3f%%\n",
                        s.reference_perplexity, s.ln_ratio, s.mean_kl, s.median_kl, s.p99_kl,
                        s.max_kl, 100 * s.same_top);
  return out;
}

std::string jsonReport(const ScoreSummary &s, const Options &o, int64_t windows, double seconds) {
  nlohmann::json j = {{"artifact", o.artifact}, {"tokens", s.tokens}, {"windows", windows},
                      {"ctx", o.ctx}, {"skip", o.skip}, {"seconds", seconds},
                      {"perplexity", s.perplexity}, {"perplexity_error", s.perplexity_error},
                      {"mean_nll", s.mean_nll}};
  if (s.has_reference) {
    j["reference"] = o.reference;
    j["reference_perplexity"] = s.reference_perplexity;
    j["ln_ppl_ratio"] = s.ln_ratio;
    j["kl"] = {{"mean", s.mean_kl}, {"median", s.median_kl}, {"p99", s.p99_kl}, {"max", s.max_kl}};
    j["same_top"] = s.same_top;
  }
  return j.dump(2) + "\n";
}

absl::Status run(const Options &o) {
  LFM_ASSIGN_OR_RETURN(Runner model, openRunner(o.artifact, o.weights, o.device, o.ctx));
  std::optional<Runner> reference;
  if (!o.reference.empty()) {
    LFM_ASSIGN_OR_RETURN(reference, openRunner(o.reference, o.reference_weights, o.device, o.ctx));
    if (reference->session->plan().config.vocab_size != model.session->plan().config.vocab_size)
      return absl::InvalidArgumentError(absl::StrCat(
          o.reference, " has a vocabulary of ", reference->session->plan().config.vocab_size,
          " tokens, ", o.artifact, " of ", model.session->plan().config.vocab_size));
  }
  std::vector<int32_t> ids;
  if (!o.ids.empty()) {
    LFM_ASSIGN_OR_RETURN(ids, readIds(o.ids));
  } else {
    LFM_ASSIGN_OR_RETURN(ids, tokenize(o, model));
  }
  const int64_t vocab = model.session->plan().config.vocab_size;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= vocab)
      return absl::InvalidArgumentError(absl::StrCat(o.ids.empty() ? o.text : o.ids, ": token ", i, ": id ",
                                                     ids[i], " is outside the vocabulary [0, ", vocab, ")"));
  }
  const int64_t n = static_cast<int64_t>(ids.size());
  if (n < o.skip + 2)
    return absl::InvalidArgumentError(absl::StrCat(o.ids.empty() ? o.text : o.ids, " has ", n,
                                                   " tokens: too few to score with --skip ", o.skip));
  int64_t windows = 0;
  for (int64_t s = 0; s + o.skip + 1 < n; s += o.ctx) ++windows;
  if (o.chunks > 0) windows = std::min(windows, o.chunks);

  Scorer scorer;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t w = 0; w < windows; ++w) {
    const int64_t s = w * o.ctx, len = std::min(o.ctx, n - 1 - s);
    std::span<const int32_t> window(ids.data() + s, static_cast<size_t>(len));
    LFM_ASSIGN_OR_RETURN(std::vector<float> logits, windowLogits(model, window));
    std::vector<float> ref;
    if (reference) {
      LFM_ASSIGN_OR_RETURN(ref, windowLogits(*reference, window));
    }
    for (int64_t j = o.skip; j < len; ++j) {
      std::span<const float> row(logits.data() + j * vocab, static_cast<size_t>(vocab));
      const int32_t target = ids[static_cast<size_t>(s + j + 1)];
      if (reference) {
        scorer.add(row, std::span<const float>(ref.data() + j * vocab, static_cast<size_t>(vocab)), target);
      } else {
        scorer.add(row, target);
      }
    }
    if ((w + 1) % std::max<int64_t>(1, windows / 10) == 0 || w + 1 == windows)
      std::cerr << absl::StrFormat("lfm-perplexity: window %d/%d, perplexity so far %.4f\n", w + 1,
                                   windows, scorer.summary().perplexity);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const ScoreSummary summary = scorer.summary();
  std::cout << (o.json ? jsonReport(summary, o, windows, seconds) : report(summary, o, windows, seconds));
  std::cout.flush();
  return std::cout.good() ? absl::OkStatus() : absl::DataLossError("could not write the results");
}

}  // namespace
}  // namespace lfm::tools

int main(int argc, char **argv) {
  absl::StatusOr<lfm::tools::Options> options = lfm::tools::parseOptions(argc, argv);
  if (!options.ok()) {
    std::cerr << "lfm-perplexity: error: " << options.status().message() << "\n(see lfm-perplexity --help)\n";
    return 1;
  }
  if (options->help) {
    std::cout << lfm::tools::help();
    return 0;
  }
  if (absl::Status s = lfm::tools::run(*options); !s.ok()) {
    std::cerr << "lfm-perplexity: error: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
