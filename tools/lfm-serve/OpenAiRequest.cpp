#include "OpenAiRequest.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"

namespace lfm::tools {
namespace {

using nlohmann::json;

constexpr size_t kMaxStops = 16;
constexpr size_t kMaxPrompts = 64;

// Each optional field: absent or null leaves the default.
const json *field(const json &body, const char *name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

struct Parser {
  const json &body;
  std::optional<ApiError> error;

  bool fail(std::string message, const char *param) {
    if (!error) error = badRequest(std::move(message), param);
    return false;
  }
  bool number(const char *name, double lo, double hi, std::optional<double> &out) {
    const json *v = field(body, name);
    if (!v) return true;
    if (!v->is_number()) return fail(absl::StrCat("'", name, "' must be a number"), name);
    double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi)
      return fail(absl::StrCat("'", name, "' must be in [", lo, ", ", hi, "], got ", d), name);
    out = d;
    return true;
  }
  bool integer(const char *name, int64_t lo, int64_t hi, std::optional<int64_t> &out) {
    const json *v = field(body, name);
    if (!v) return true;
    if (!v->is_number_integer())
      return fail(absl::StrCat("'", name, "' must be an integer"), name);
    const int64_t n = v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX
                          ? INT64_MAX
                          : v->get<int64_t>();
    if (n < lo || n > hi)
      return fail(absl::StrCat("'", name, "' must be in [", lo, ", ", hi, "], got ", n), name);
    out = n;
    return true;
  }
  bool boolean(const char *name, bool &out) {
    const json *v = field(body, name);
    if (!v) return true;
    if (!v->is_boolean()) return fail(absl::StrCat("'", name, "' must be a boolean"), name);
    out = v->get<bool>();
    return true;
  }
};

uint64_t randomSeed() {
  static std::atomic<uint64_t> counter{std::random_device{}()};
  return counter.fetch_add(0x9E3779B97F4A7C15ull);
}

// Message content as the template expects it: a string (text parts joined).
std::optional<json> normalizeMessages(const json &messages, std::string &error) {
  if (!messages.is_array() || messages.empty()) {
    error = "'messages' must be a non-empty array";
    return std::nullopt;
  }
  json out = json::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const json &m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      error = absl::StrCat("messages[", i, "] must be an object with a string 'role'");
      return std::nullopt;
    }
    json copy = m;
    if (auto c = m.find("content"); c != m.end() && c->is_array()) {
      std::string text;
      for (const json &part : *c) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
            !part["text"].is_string()) {
          error = absl::StrCat("messages[", i, "].content: only text parts are supported");
          return std::nullopt;
        }
        text += part["text"].get<std::string>();
      }
      copy["content"] = text;
    } else if (c != m.end() && !c->is_string() && !c->is_null()) {
      error = absl::StrCat("messages[", i, "].content must be a string or an array of parts");
      return std::nullopt;
    }
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace

std::variant<ApiRequest, ApiError> parseApiRequest(Endpoint endpoint, const json &body,
                                                   const ApiContext &ctx) {
  if (!body.is_object()) return badRequest("the body must be a JSON object");
  Parser p{body, std::nullopt};
  ApiRequest r;
  r.endpoint = endpoint;
  const bool chat = endpoint == Endpoint::kChat;
  if (const json *m = field(body, "model")) {
    if (!m->is_string()) return badRequest("'model' must be a string", "model");
    r.model = m->get<std::string>();
  }
  std::optional<int64_t> n;
  p.integer("n", 1, 1 << 20, n);
  if (n && *n != 1) return badRequest("only n = 1 is supported", "n");
  if (std::optional<int64_t> best_of; p.integer("best_of", 1, 1 << 20, best_of) && best_of &&
                                      *best_of != 1)
    return badRequest("only best_of = 1 is supported", "best_of");
  if (bool echo = false; p.boolean("echo", echo) && echo)
    return badRequest("'echo' is not supported", "echo");
  if (const json *s = field(body, "suffix"); s && !(s->is_string() && s->get<std::string>().empty()))
    return badRequest("'suffix' is not supported", "suffix");
  for (const char *penalty : {"presence_penalty", "frequency_penalty"}) {
    std::optional<double> v;
    if (p.number(penalty, -2, 2, v) && v && *v != 0)
      return badRequest(absl::StrCat("'", penalty, "' is not supported (use repetition_penalty)"),
                        penalty);
  }
  if (const json *b = field(body, "logit_bias"); b && !(b->is_object() && b->empty()))
    return badRequest("'logit_bias' is not supported", "logit_bias");

  // Sampling over the model's defaults.
  GenerationRequest base;
  base.sampling = ctx.sampling;
  std::optional<double> temperature, top_p, min_p, repetition_penalty;
  std::optional<int64_t> top_k, seed, max_tokens, max_completion_tokens;
  p.number("temperature", 0, 100, temperature);
  p.number("top_p", 0, 1, top_p);
  p.number("min_p", 0, 1, min_p);
  p.number("repetition_penalty", 1e-6, 100, repetition_penalty);
  p.integer("top_k", -1, INT32_MAX, top_k);
  p.integer("seed", INT64_MIN, INT64_MAX, seed);
  p.integer("max_tokens", 1, INT64_MAX, max_tokens);
  p.integer("max_completion_tokens", 1, INT64_MAX, max_completion_tokens);
  p.boolean("stream", r.stream);
  p.boolean("ignore_eos", base.ignore_eos);  // vLLM's extension, for benchmarks
  if (p.error) return *p.error;
  if (top_p && *top_p == 0) return badRequest("'top_p' must be in (0, 1]", "top_p");
  if (temperature) base.sampling.temperature = static_cast<float>(*temperature);
  if (top_p) base.sampling.top_p = static_cast<float>(*top_p);
  if (min_p) base.sampling.min_p = static_cast<float>(*min_p);
  if (repetition_penalty) base.sampling.repetition_penalty = static_cast<float>(*repetition_penalty);
  if (top_k) base.sampling.top_k = *top_k < 0 ? 0 : *top_k;
  base.sampling.seed = seed ? static_cast<uint64_t>(*seed) : randomSeed();
  if (max_completion_tokens) max_tokens = max_completion_tokens;
  if (max_tokens && ctx.max_tokens > 0 && *max_tokens > ctx.max_tokens) {
    const char *name = max_completion_tokens ? "max_completion_tokens" : "max_tokens";
    return badRequest(absl::StrCat("'", name, "' is ", *max_tokens, "; this server generates at most ",
                                   ctx.max_tokens, " tokens a request"),
                      name);
  }

  if (const json *opts = field(body, "stream_options")) {
    if (!opts->is_object()) return badRequest("'stream_options' must be an object", "stream_options");
    if (!r.stream)
      return badRequest("'stream_options' is only allowed with \"stream\": true", "stream_options");
    Parser o{*opts, std::nullopt};
    o.boolean("include_usage", r.include_usage);
    if (o.error) return badRequest(o.error->message, "stream_options");
  }

  if (const json *stop = field(body, "stop")) {
    if (stop->is_string()) {
      base.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= kMaxStops) {
      for (const json &s : *stop) {
        if (!s.is_string()) return badRequest("'stop' must be a string or a list of strings", "stop");
        base.stop.push_back(s.get<std::string>());
      }
    } else {
      return badRequest(absl::StrCat("'stop' must be a string or a list of at most ", kMaxStops,
                                     " strings"),
                        "stop");
    }
    if (!base.stop.empty() && !ctx.text)
      return badRequest("stop strings need a tokenizer, and the model has none", "stop");
  }

  // logprobs: an integer for completions; a boolean and top_logprobs for chat.
  if (chat) {
    bool want = false;
    std::optional<int64_t> top;
    p.boolean("logprobs", want);
    p.integer("top_logprobs", 0, kMaxTopLogprobs, top);
    if (p.error) return *p.error;
    if (top && !want)
      return badRequest("'top_logprobs' needs \"logprobs\": true", "top_logprobs");
    if (want) r.logprobs = static_cast<int32_t>(top.value_or(0));
  } else {
    std::optional<int64_t> top;
    p.integer("logprobs", 0, kMaxTopLogprobs, top);
    if (p.error) return *p.error;
    if (top) r.logprobs = static_cast<int32_t>(*top);
  }
  base.logprobs = r.logprobs;
  if (ctx.request_timeout > 0)
    base.deadline = ServeClock::now() + std::chrono::duration_cast<ServeClock::duration>(
                                            std::chrono::duration<double>(ctx.request_timeout));

  // The prompts.
  std::vector<std::vector<int32_t>> prompts;
  const char *prompt_param = chat ? "messages" : "prompt";
  auto encode = [&](const std::string &text, bool special) -> std::optional<ApiError> {
    if (!ctx.text)
      return badRequest("the model has no tokenizer: send token ids as the prompt", prompt_param);
    absl::StatusOr<std::vector<int32_t>> ids = ctx.text->tokenizer->encode(text, special);
    if (!ids.ok()) return badRequest(std::string(ids.status().message()), prompt_param);
    prompts.push_back(std::move(*ids));
    return std::nullopt;
  };
  if (chat) {
    const json *messages = field(body, "messages");
    if (!messages) return badRequest("'messages' is required", "messages");
    std::string message;
    std::optional<json> normalized = normalizeMessages(*messages, message);
    if (!normalized) return badRequest(message, "messages");
    json tools = nullptr;
    if (const json *t = field(body, "tools")) {
      if (!t->is_array()) return badRequest("'tools' must be an array", "tools");
      if (!t->empty()) tools = *t;
    }
    if (!ctx.text) return badRequest("the model has no tokenizer, so no chat template", "messages");
    absl::StatusOr<std::string> rendered = ctx.text->renderChat(*normalized, tools, true);
    // Whatever the template refuses (raise_exception, its bounds) is the
    // request's fault.
    if (!rendered.ok()) return badRequest(std::string(rendered.status().message()), "messages");
    if (auto e = encode(*rendered, /*special=*/false)) return *e;
  } else {
    const json *prompt = field(body, "prompt");
    if (!prompt) return badRequest("'prompt' is required", "prompt");
    auto is_ids = [](const json &a) {
      if (!a.is_array() || a.empty()) return false;
      for (const json &x : a)
        if (!x.is_number_integer()) return false;
      return true;
    };
    auto ids_of = [](const json &a) {
      std::vector<int32_t> ids;
      for (const json &x : a) {
        const int64_t v = x.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(x.get<uint64_t>(), INT32_MAX) ) : x.get<int64_t>();
        ids.push_back(static_cast<int32_t>(std::clamp<int64_t>(v, -1, INT32_MAX)));
      }
      return ids;
    };
    if (prompt->is_string()) {
      if (auto e = encode(prompt->get<std::string>(), true)) return *e;
    } else if (is_ids(*prompt)) {
      prompts.push_back(ids_of(*prompt));
    } else if (prompt->is_array() && !prompt->empty() && prompt->size() <= kMaxPrompts) {
      for (const json &item : *prompt) {
        if (item.is_string()) {
          if (auto e = encode(item.get<std::string>(), true)) return *e;
        } else if (is_ids(item)) {
          prompts.push_back(ids_of(item));
        } else {
          return badRequest("'prompt' must be a string, a list of strings, a list of token ids "
                            "or a list of such lists",
                            "prompt");
        }
      }
    } else {
      return badRequest(absl::StrCat("'prompt' must be a string, a list of (at most ", kMaxPrompts,
                                     ") strings, token ids, or lists of token ids"),
                        "prompt");
    }
  }

  for (size_t i = 0; i < prompts.size(); ++i) {
    const int64_t len = static_cast<int64_t>(prompts[i].size());
    if (len == 0) return badRequest("the prompt has no tokens", prompt_param);
    if (len > ctx.max_seq_len) {
      ApiError e = badRequest(
          absl::StrCat("the prompt has ", len, " tokens, more than the ", ctx.max_seq_len,
                       " tokens of context a request may hold"),
          prompt_param);
      e.code = "context_length_exceeded";
      return e;
    }
    GenerationRequest g = base;
    g.prompt = std::move(prompts[i]);
    // Completions default to 16 tokens (as OpenAI); chat runs until the
    // model stops or the context is full.
    g.max_tokens = max_tokens ? *max_tokens : chat ? ctx.max_seq_len - len + 1 : 16;
    if (ctx.max_tokens > 0) g.max_tokens = std::min(g.max_tokens, ctx.max_tokens);
    if (i > 0) g.sampling.seed = base.sampling.seed + i;
    r.choices.push_back(std::move(g));
  }
  return r;
}

}  // namespace lfm::tools
