#include "RunOptions.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "ArgParser.h"
#include "lfm/ReadFile.h"
#include "lfm/StatusMacros.h"

namespace lfm::tools {
namespace {

ArgParser makeParser() {
  ArgParser p;
  p.addOption("weights", "PATH",
              "The checkpoint: a folder with model.safetensors or a sharded "
              "model.safetensors.index.json, one .safetensors file, or an LFM2 GGUF (its "
              "tokenizer too, when the artifact carries none). Optional when the artifact "
              "embeds its weights.");
  p.addOption("random-weights", "SEED",
              "Synthesize weights of the right shapes from SEED instead of loading them "
              "(for benchmarks without a checkpoint).");
  p.addOption("prompt-ids", "LIST",
              "The prompt token ids, comma-separated; several sequences separated by ';' "
              "run together as one ragged batch, e.g. \"5,6,7;8,9\". Prints ids.");
  p.addRepeatedOption("prompt", "TEXT",
                      "A text prompt, tokenized as transformers' tokenizer(text) does (BOS "
                      "added, no chat template). Repeatable: several prompts run as one ragged "
                      "batch. The continuation is streamed to stdout (one prompt) or printed per "
                      "sequence.");
  p.addRepeatedOption("prompt-file", "FILE", "A text prompt read from FILE, byte for byte. Repeatable.");
  p.addFlag("chat",
            "Chat: read user turns from stdin (one per line), render the conversation with the "
            "model's chat template and stream each answer. The conversation stays in its slot, "
            "so a turn prefills only its new tokens. '/reset' starts over; end of input exits.");
  p.addOption("system", "TEXT", "The system prompt of --chat.");
  p.addRepeatedOption("stop", "STR",
                      "End a sequence where its text contains STR (matched across tokens; STR "
                      "is not printed). Repeatable.");
  p.addOption("tokenizer", "PATH",
              "The tokenizer: a folder with tokenizer.json (and tokenizer_config.json, "
              "generation_config.json), a tokenizer.json, or a GGUF. Default: the files the "
              "artifact carries, else those of a GGUF --weights.");
  p.addOption("max-new-tokens", "N",
              "Tokens to generate per sequence (default: generation_config.json's max_new_tokens, "
              "else 16 for --prompt-ids, 128 for text prompts, 256 per --chat answer; 0 = "
              "prefill only).");
  p.addOption("temperature", "T",
              "Sampling temperature; 0 is greedy. Default: generation_config.json's when it "
              "samples (do_sample), else greedy. Each sampling option overrides the model's "
              "default alone.");
  p.addOption("top-k", "K", "Sample among the K most likely tokens (0 = all).");
  p.addOption("top-p", "P", "Sample from the smallest set of tokens whose probability reaches P, in (0, 1].");
  p.addOption("min-p", "P",
              "Drop tokens less likely than P x the most likely one, in [0, 1] (Liquid "
              "recommends 0.15 for LFM2).");
  p.addOption("repetition-penalty", "R",
              "Divide the (positive) logits of tokens already in the context by R, multiply "
              "negative ones (1 = none; Liquid recommends 1.05 for LFM2).");
  p.addOption("seed", "S", "Seed of the sampler (default 0); sequence i uses S + i.");
  p.addFlag("ignore-eos", "Do not stop a sequence at the model's EOS tokens.");
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
  p.addFlag("json",
            "Print a JSON summary (per sequence: the generated ids and, with a tokenizer, their "
            "text; timings) instead of token lines or text.");
  p.addFlag("help", "Show this help (also -h).");
  return p;
}

absl::Status floatOption(const ArgParser &p, const std::string &name, std::optional<float> &out) {
  std::optional<std::string> v = p.value(name);
  if (!v) return absl::OkStatus();
  LFM_ASSIGN_OR_RETURN(double d, parseDouble(*v, "--" + name));
  out = static_cast<float>(d);
  return absl::OkStatus();
}

// A prompt file is text a person wrote; a model's context is far smaller.
constexpr uint64_t kMaxPromptFileBytes = uint64_t{64} << 20;

}  // namespace

absl::StatusOr<SamplingOptions> resolveSampling(const RunOptions &o,
                                                const SamplingOptions &defaults) {
  SamplingOptions s = defaults;
  if (o.temperature) s.temperature = *o.temperature;
  if (o.top_k) s.top_k = *o.top_k;
  if (o.top_p) s.top_p = *o.top_p;
  if (o.min_p) s.min_p = *o.min_p;
  if (o.repetition_penalty) s.repetition_penalty = *o.repetition_penalty;
  s.seed = o.seed;
  if (absl::Status st = validateSamplingOptions(s); !st.ok())
    return absl::InvalidArgumentError(absl::StrCat("sampling options: ", st.message()));
  return s;
}

std::string runHelp() {
  return absl::StrCat(
      "usage: lfm-run MODEL.lfma [--weights PATH | --random-weights SEED]\n"
      "               (--prompt TEXT... | --prompt-file FILE... | --chat | --prompt-ids LIST) "
      "[options]\n\n"
      "Runs a compiled LFM2 artifact. With text prompts it streams the continuation as text; "
      "with\n--chat it talks (user turns on stdin); with --prompt-ids it prints the generated "
      "token ids,\none line per sequence, comma-separated (the EOS token that ends a sequence "
      "is printed).\nA sequence stops at an EOS token of the model (generation_config.json, "
      "the tokenizer,\nconfig.json), at a --stop string, or after --max-new-tokens. Sampling "
      "defaults come from\ngeneration_config.json when the model has one; else decoding is "
      "greedy.\nErrors go to stderr with exit code 1.\n\noptions:\n",
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
  if (std::optional<std::string> ids = p.value("prompt-ids")) {
    LFM_ASSIGN_OR_RETURN(o.prompts, parsePromptIds(*ids));
  }
  o.text_prompts = p.values("prompt");
  for (const std::string &file : p.values("prompt-file")) {
    absl::StatusOr<std::string> text = readFileToString(file, kMaxPromptFileBytes);
    if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat("--prompt-file: ", text.status().message()));
    o.text_prompts.push_back(std::move(*text));
  }
  o.chat = p.has("chat");
  const int inputs = !o.prompts.empty() + !o.text_prompts.empty() + o.chat;
  if (inputs == 0)
    return absl::InvalidArgumentError("give a prompt: --prompt TEXT, --prompt-file FILE, --chat or --prompt-ids LIST");
  if (inputs > 1)
    return absl::InvalidArgumentError("give one kind of input: --prompt/--prompt-file, --chat or --prompt-ids");
  if (auto v = p.value("system")) {
    if (!o.chat) return absl::InvalidArgumentError("--system goes with --chat");
    o.system = *v;
  }
  o.stops = p.values("stop");
  for (const std::string &s : o.stops)
    if (s.empty()) return absl::InvalidArgumentError("--stop: empty string");
  if (auto v = p.value("tokenizer")) {
    if (v->empty()) return absl::InvalidArgumentError("--tokenizer: empty path");
    o.tokenizer = *v;
  }

  constexpr int64_t kBig = std::numeric_limits<int32_t>::max();
  if (p.has("max-new-tokens")) {
    int64_t n = 0;
    LFM_RETURN_IF_ERROR(intOption(p, "max-new-tokens", 0, kBig, n));
    o.max_new_tokens = n;
  }
  LFM_RETURN_IF_ERROR(intOption(p, "max-seq-len", 1, kBig, o.max_seq_len));
  LFM_RETURN_IF_ERROR(intOption(p, "slots", 1, 1 << 20, o.slots));
  LFM_RETURN_IF_ERROR(intOption(p, "prefill-chunk", 1, kBig, o.prefill_chunk));
  int64_t threads = 0;
  LFM_RETURN_IF_ERROR(intOption(p, "threads", 1, 4096, threads));
  o.threads = static_cast<int>(threads);
  LFM_RETURN_IF_ERROR(floatOption(p, "temperature", o.temperature));
  if (p.has("top-k")) {
    int64_t k = 0;
    LFM_RETURN_IF_ERROR(intOption(p, "top-k", 0, kBig, k));
    o.top_k = k;
  }
  LFM_RETURN_IF_ERROR(floatOption(p, "top-p", o.top_p));
  LFM_RETURN_IF_ERROR(floatOption(p, "min-p", o.min_p));
  LFM_RETURN_IF_ERROR(floatOption(p, "repetition-penalty", o.repetition_penalty));
  if (auto v = p.value("seed")) {
    LFM_ASSIGN_OR_RETURN(o.seed, parseUint(*v, "--seed"));
  }
  LFM_RETURN_IF_ERROR(resolveSampling(o, SamplingOptions{}).status());
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
