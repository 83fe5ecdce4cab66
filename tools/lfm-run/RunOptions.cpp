#include "RunOptions.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "ArgParser.h"
#include "lfm/StatusMacros.h"

namespace lfm::tools {
namespace {

ArgParser makeParser() {
  ArgParser p;
  p.addOption("weights", "PATH",
              "The checkpoint: a folder with model.safetensors or a sharded "
              "model.safetensors.index.json, or one .safetensors file. Optional when the "
              "artifact embeds its weights.");
  p.addOption("random-weights", "SEED",
              "Synthesize weights of the right shapes from SEED instead of loading them "
              "(for benchmarks without a checkpoint).");
  p.addOption("prompt-ids", "LIST",
              "The prompt token ids, comma-separated; several sequences separated by ';' "
              "run together as one ragged batch, e.g. \"5,6,7;8,9\". Required.");
  p.addOption("max-new-tokens", "N", "Tokens to generate per sequence (default 16; 0 = prefill only).");
  p.addOption("temperature", "T", "Sampling temperature; 0 (the default) is greedy.");
  p.addOption("top-k", "K", "Sample among the K most likely tokens (0 = all, the default).");
  p.addOption("top-p", "P", "Sample from the smallest set of tokens whose probability reaches P, in (0, 1] (default 1).");
  p.addOption("seed", "S", "Seed of the sampler (default 0); sequence i uses S + i.");
  p.addFlag("ignore-eos", "Do not stop a sequence at the model's EOS token.");
  p.addOption("device", "cpu|cuda|auto|emu",
              "Where to run (default auto: cuda when a GPU is available, else cpu, said on stderr). "
              "emu runs the generated CUDA kernels on the host, slowly, for testing (needs a C++ "
              "compiler and Boost.Context; compiled kernels are cached in $LFM_CACHE_DIR or "
              "~/.cache/lfm).");
  p.addOption("max-seq-len", "N", "Tokens per sequence the state caches hold (default: the artifact's).");
  p.addOption("slots", "N",
              "Sequences the state pool holds (default: the artifact's, raised to the number "
              "of sequences).");
  p.addOption("threads", "N", "CPU and emu device threads (default: all hardware threads).");
  p.addOption("prefill-chunk", "K",
              "Feed each prompt K tokens per step (1 = the decode path for every token; "
              "default: the whole prompt, split only where a step would exceed the plan's "
              "token limit).");
  p.addOption("dump-logits", "FILE",
              "Write float32 little-endian logits, row-major [rows][vocab], sequence after "
              "sequence: one row per sampled token (the row it was sampled from); with "
              "--all-logits, one row per fed token (row t = the logits after tokens 0..t of "
              "prompt + generated tokens).");
  p.addFlag("all-logits", "Compute the logits of every prompt position (see --dump-logits).");
  p.addFlag("json", "Print a JSON summary (tokens per sequence, timings) instead of token lines.");
  p.addFlag("help", "Show this help (also -h).");
  return p;
}

// The value of an integer option within [lo, hi], if given.
absl::Status intOption(const ArgParser &p, const std::string &name, int64_t lo, int64_t hi,
                       int64_t *out) {
  std::optional<std::string> v = p.value(name);
  if (!v) return absl::OkStatus();
  LFM_ASSIGN_OR_RETURN(int64_t n, parseInt(*v, "--" + name));
  if (n < lo || n > hi) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " must be in [", lo, ", ", hi,
                                                   "], got ", n));
  }
  *out = n;
  return absl::OkStatus();
}

}  // namespace

std::string runHelp() {
  return absl::StrCat(
      "usage: lfm-run MODEL.lfma [--weights PATH | --random-weights SEED] --prompt-ids LIST "
      "[options]\n\n"
      "Runs a compiled LFM2 artifact and prints the generated token ids: one line per "
      "sequence,\ncomma-separated (greedy decoding unless sampling options are given; a "
      "sequence stops at\nthe model's EOS token, which is printed, or after --max-new-tokens).\n"
      "Errors go to stderr with exit code 1.\n\noptions:\n",
      makeParser().optionsHelp());
}

absl::StatusOr<std::vector<std::vector<int32_t>>> parsePromptIds(const std::string &text) {
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::string> seqs = absl::StrSplit(text, ';');
  for (size_t i = 0; i < seqs.size(); ++i) {
    absl::string_view seq = absl::StripAsciiWhitespace(seqs[i]);
    if (seq.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--prompt-ids: sequence ", i, " is empty (in \"", text, "\")"));
    }
    std::vector<int32_t> tokens;
    std::vector<std::string> items = absl::StrSplit(std::string(seq), ',');
    for (size_t j = 0; j < items.size(); ++j) {
      std::string item(absl::StripAsciiWhitespace(items[j]));
      int64_t id;
      if (item.empty() || !absl::SimpleAtoi(item, &id) || id < 0 ||
          id > std::numeric_limits<int32_t>::max()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--prompt-ids: sequence ", i, ", item ", j, ": '", item,
            "' is not a token id (a non-negative integer)"));
      }
      tokens.push_back(static_cast<int32_t>(id));
    }
    prompts.push_back(std::move(tokens));
  }
  return prompts;
}

absl::StatusOr<RunOptions> parseRunOptions(int argc, const char *const *argv) {
  ArgParser p = makeParser();
  LFM_RETURN_IF_ERROR(p.parse(argc, argv));
  RunOptions o;
  if (p.has("help")) {
    o.help = true;
    return o;
  }
  if (p.positional().size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected one artifact (MODEL.lfma), got ", p.positional().size(), " positional arguments"));
  }
  o.artifact = p.positional()[0];
  if (auto v = p.value("weights")) {
    if (v->empty()) return absl::InvalidArgumentError("--weights: empty path");
    o.weights = *v;
  }
  if (auto v = p.value("random-weights")) {
    LFM_ASSIGN_OR_RETURN(o.random_seed, parseUint(*v, "--random-weights"));
  }
  if (!o.weights.empty() && o.random_seed) {
    return absl::InvalidArgumentError("give --weights or --random-weights, not both");
  }
  std::optional<std::string> ids = p.value("prompt-ids");
  if (!ids) return absl::InvalidArgumentError("--prompt-ids is required");
  LFM_ASSIGN_OR_RETURN(o.prompts, parsePromptIds(*ids));

  constexpr int64_t kBig = std::numeric_limits<int32_t>::max();
  LFM_RETURN_IF_ERROR(intOption(p, "max-new-tokens", 0, kBig, &o.max_new_tokens));
  LFM_RETURN_IF_ERROR(intOption(p, "max-seq-len", 1, kBig, &o.max_seq_len));
  LFM_RETURN_IF_ERROR(intOption(p, "slots", 1, 1 << 20, &o.slots));
  LFM_RETURN_IF_ERROR(intOption(p, "prefill-chunk", 1, kBig, &o.prefill_chunk));
  int64_t threads = 0;
  LFM_RETURN_IF_ERROR(intOption(p, "threads", 1, 4096, &threads));
  o.threads = static_cast<int>(threads);
  if (auto v = p.value("temperature")) {
    LFM_ASSIGN_OR_RETURN(double t, parseDouble(*v, "--temperature"));
    o.sampling.temperature = static_cast<float>(t);
  }
  LFM_RETURN_IF_ERROR(intOption(p, "top-k", 0, kBig, &o.sampling.top_k));
  if (auto v = p.value("top-p")) {
    LFM_ASSIGN_OR_RETURN(double t, parseDouble(*v, "--top-p"));
    o.sampling.top_p = static_cast<float>(t);
  }
  if (auto v = p.value("seed")) {
    LFM_ASSIGN_OR_RETURN(o.sampling.seed, parseUint(*v, "--seed"));
  }
  LFM_RETURN_IF_ERROR(validateSamplingOptions(o.sampling));
  if (auto v = p.value("device")) {
    LFM_ASSIGN_OR_RETURN(o.device, parseDeviceKind(*v));
  }
  if (auto v = p.value("dump-logits")) {
    if (v->empty()) return absl::InvalidArgumentError("--dump-logits: empty path");
    o.dump_logits = *v;
  }
  o.ignore_eos = p.has("ignore-eos");
  o.all_logits = p.has("all-logits");
  o.json = p.has("json");
  return o;
}

}  // namespace lfm::tools
