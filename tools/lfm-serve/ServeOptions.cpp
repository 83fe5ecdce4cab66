#include "ServeOptions.h"

#include <cmath>

#include "ArgParser.h"
#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::tools {
namespace {

ArgParser makeParser() {
  ArgParser p;
  p.addOption("weights", "PATH",
              "The checkpoint: a folder with model.safetensors (or its sharded index), one "
              ".safetensors file, or an LFM2 GGUF (its tokenizer too, when the artifact carries "
              "none). Optional when the artifact embeds its weights.");
  p.addOption("random-weights", "SEED",
              "Synthesize weights of the right shapes from SEED (for benchmarks without a "
              "checkpoint).");
  p.addOption("tokenizer", "PATH",
              "A folder with tokenizer.json (and tokenizer_config.json, generation_config.json), "
              "a tokenizer.json, or a GGUF. Default: the files the artifact carries, else those "
              "of a GGUF --weights. Without any, only token-id prompts are served.");
  p.addOption("model-name", "NAME",
              "The model id of /v1/models and responses (default: the artifact's file name).");
  p.addOption("host", "ADDR", "Address to listen on (default 127.0.0.1: this machine only).");
  p.addOption("port", "N", "TCP port (default 8080; 0 picks a free one, printed on stderr).");
  p.addOption("device", "cpu|cuda|auto|emu", "Where to run (default auto).");
  p.addOption("threads", "N", "CPU and emu device threads (default: all hardware threads).");
  p.addOption("slots", "N", "Requests running at once: the state pool's slots (default: the artifact's).");
  p.addOption("max-seq-len", "N",
              "Tokens a request may hold, prompt and generated (default: the artifact's).");
  p.addOption("max-batch-tokens", "N",
              "Tokens per step: decodes plus prompt chunks (default: the plan's limit).");
  p.addOption("max-queue", "N",
              "Requests waiting for a slot; more are refused with 429 (default 64).");
  p.addOption("api-key", "KEY",
              "Require 'Authorization: Bearer KEY' on /v1/*, /tokenize and /detokenize.");
  p.addOption("http-threads", "N",
              "HTTP worker threads (default: slots + max-queue + 8, at least 16).");
  p.addOption("shutdown-timeout", "S",
              "On SIGINT/SIGTERM, seconds running requests get to finish (default 10); then "
              "they end with finish_reason 'length'.");
  p.addOption("max-body-bytes", "N", "Largest request body; larger is 413 (default 8 MiB).");
  p.addOption("request-timeout", "S",
              "Seconds a request may take, queued and running; then it ends with "
              "finish_reason 'length' (default 600; 0: no limit).");
  p.addOption("max-tokens", "N",
              "Tokens a request may generate: a larger max_tokens is 400, and a request "
              "without one stops there (default: until the context is full).");
  p.addFlag("help", "Show this help (also -h).");
  return p;
}

absl::Status secondsOption(const ArgParser &p, const std::string &name, double &out) {
  std::optional<std::string> v = p.value(name);
  if (!v) return absl::OkStatus();
  LFM_ASSIGN_OR_RETURN(double d, parseDouble(*v, "--" + name));
  if (!std::isfinite(d) || d < 0 || d > 1e6)
    return absl::InvalidArgumentError(absl::StrCat("--", name, " must be in [0, 1e6] seconds"));
  out = d;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServeOptions> parseServeOptions(int argc, const char *const *argv) {
  ServeOptions o;
  ArgParser p = makeParser();
  LFM_RETURN_IF_ERROR(p.parse(argc, argv));
  if (p.has("help")) {
    o.help = true;
    return o;
  }
  if (p.positional().size() != 1)
    return absl::InvalidArgumentError("expected one artifact (MODEL.lfma)");
  o.artifact = p.positional()[0];
  o.weights = p.value("weights").value_or("");
  if (std::optional<std::string> seed = p.value("random-weights")) {
    LFM_ASSIGN_OR_RETURN(o.random_seed, parseUint(*seed, "--random-weights"));
    if (!o.weights.empty())
      return absl::InvalidArgumentError("--weights and --random-weights exclude each other");
  }
  o.tokenizer = p.value("tokenizer").value_or("");
  o.model_name = p.value("model-name").value_or("");
  if (o.model_name.empty()) {
    std::string name = o.artifact.substr(o.artifact.find_last_of('/') + 1);
    if (name.size() > 5 && name.ends_with(".lfma")) name.resize(name.size() - 5);
    o.model_name = name;
  }
  o.host = p.value("host").value_or(o.host);
  int64_t port = o.port;
  LFM_RETURN_IF_ERROR(intOption(p, "port", 0, 65535, port));
  o.port = static_cast<int>(port);
  if (std::optional<std::string> d = p.value("device")) {
    LFM_ASSIGN_OR_RETURN(o.device, parseDeviceKind(*d));
  }
  int64_t threads = 0;
  LFM_RETURN_IF_ERROR(intOption(p, "threads", 0, 4096, threads));
  o.threads = static_cast<int>(threads);
  LFM_RETURN_IF_ERROR(intOption(p, "slots", 1, 1 << 16, o.slots));
  LFM_RETURN_IF_ERROR(intOption(p, "max-seq-len", 1, int64_t{1} << 24, o.max_seq_len));
  LFM_RETURN_IF_ERROR(intOption(p, "max-batch-tokens", 1, int64_t{1} << 24, o.max_batch_tokens));
  LFM_RETURN_IF_ERROR(intOption(p, "max-queue", 0, 1 << 20, o.max_queue));
  o.api_key = p.value("api-key").value_or("");
  if (p.has("api-key") && o.api_key.empty())
    return absl::InvalidArgumentError("--api-key must not be empty");
  int64_t http_threads = 0;
  LFM_RETURN_IF_ERROR(intOption(p, "http-threads", 1, 4096, http_threads));
  o.http_threads = static_cast<int>(http_threads);
  LFM_RETURN_IF_ERROR(secondsOption(p, "shutdown-timeout", o.shutdown_timeout));
  LFM_RETURN_IF_ERROR(secondsOption(p, "request-timeout", o.request_timeout));
  LFM_RETURN_IF_ERROR(intOption(p, "max-body-bytes", 1024, int64_t{1} << 32, o.max_body_bytes));
  LFM_RETURN_IF_ERROR(intOption(p, "max-tokens", 1, int64_t{1} << 24, o.max_tokens));
  return o;
}

std::string serveHelp() {
  return absl::StrCat(
      "usage: lfm-serve MODEL.lfma [--weights PATH | --random-weights SEED] [options]\n\n"
      "Serves a compiled LFM2 artifact over HTTP with the OpenAI API, batching the requests\n"
      "that run at once (continuous batching over the state pool's slots):\n"
      "  POST /v1/completions, POST /v1/chat/completions (\"stream\": true for server-sent\n"
      "  events), GET /v1/models, GET /health (503 while the model loads), GET /metrics\n"
      "  (Prometheus), POST /tokenize and /detokenize (as llama-server).\n"
      "It listens before the weights load. SIGINT/SIGTERM stops taking requests, lets the\n"
      "running ones finish (--shutdown-timeout) and exits 0. Sampling defaults come from\n"
      "generation_config.json when the model has one, else decoding is greedy; each request\n"
      "field overrides its default alone.\n\noptions:\n",
      makeParser().optionsHelp());
}

}  // namespace lfm::tools
