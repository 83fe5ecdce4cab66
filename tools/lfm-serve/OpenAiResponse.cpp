#include "OpenAiResponse.h"

#include <atomic>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lfm::tools {
namespace {

using nlohmann::json;

// JSON has no -inf: as vLLM, the least log-probability is -9999.
double finiteLogprob(float lp) { return std::isfinite(lp) ? lp : -9999.0; }

std::string tokenText(const Tokenizer *tokenizer, int32_t id) {
  if (tokenizer) {
    absl::StatusOr<std::string> bytes = tokenizer->tokenBytes(id);
    if (bytes.ok()) return *bytes;
  }
  return absl::StrCat("token_id:", id);
}

json bytesOf(const std::string &s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

json chatLogprobs(const ResponseMeta &meta, const std::vector<TokenLogprob> &lps) {
  json content = json::array();
  for (const TokenLogprob &l : lps) {
    const std::string tok = tokenText(meta.tokenizer, l.token);
    json top = json::array();
    for (const auto &[id, lp] : l.top) {
      const std::string t = tokenText(meta.tokenizer, id);
      top.push_back({{"token", t}, {"logprob", finiteLogprob(lp)}, {"bytes", bytesOf(t)}});
    }
    content.push_back({{"token", tok},
                       {"logprob", finiteLogprob(l.logprob)},
                       {"bytes", bytesOf(tok)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}};
}

json completionLogprobs(const ResponseMeta &meta, const std::vector<TokenLogprob> &lps,
                        size_t text_offset) {
  json tokens = json::array(), token_logprobs = json::array(), offsets = json::array();
  json top = meta.logprobs > 0 ? json::array() : json(nullptr);
  for (const TokenLogprob &l : lps) {
    const std::string tok = tokenText(meta.tokenizer, l.token);
    tokens.push_back(tok);
    token_logprobs.push_back(finiteLogprob(l.logprob));
    offsets.push_back(text_offset);
    text_offset += tok.size();
    if (meta.logprobs > 0) {
      json alternatives = json::object();
      for (const auto &[id, lp] : l.top) {
        const std::string t = tokenText(meta.tokenizer, id);
        if (!alternatives.contains(t)) alternatives[t] = finiteLogprob(lp);
      }
      top.push_back(alternatives);
    }
  }
  return {{"tokens", tokens},
          {"token_logprobs", token_logprobs},
          {"top_logprobs", top},
          {"text_offset", offsets}};
}

json logprobsJson(const ResponseMeta &meta, const std::vector<TokenLogprob> &lps,
                  size_t text_offset) {
  if (meta.logprobs < 0) return nullptr;
  return meta.endpoint == Endpoint::kChat ? chatLogprobs(meta, lps)
                                          : completionLogprobs(meta, lps, text_offset);
}

}  // namespace

const char *apiFinishReason(FinishReason reason) {
  return reason == FinishReason::kStop ? "stop" : "length";
}

json usageJson(int64_t prompt_tokens, int64_t completion_tokens) {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

json completionJson(const ResponseMeta &meta, const std::vector<RequestUpdate> &results) {
  const bool chat = meta.endpoint == Endpoint::kChat;
  json choices = json::array();
  int64_t prompt_tokens = 0, completion_tokens = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const RequestUpdate &r = results[i];
    json choice = {{"index", i},
                   {"logprobs", logprobsJson(meta, r.logprobs, 0)},
                   {"finish_reason", apiFinishReason(r.reason)}};
    if (chat) {
      choice["message"] = {{"role", "assistant"}, {"content", r.text}};
    } else {
      choice["text"] = r.text;
    }
    choices.push_back(std::move(choice));
    prompt_tokens += r.prompt_tokens;
    completion_tokens += r.generated_tokens;
  }
  return {{"id", meta.id},
          {"object", chat ? "chat.completion" : "text_completion"},
          {"created", meta.created},
          {"model", meta.model},
          {"choices", choices},
          {"usage", usageJson(prompt_tokens, completion_tokens)}};
}

json chunkJson(const ResponseMeta &meta, int index, const RequestUpdate &delta, bool first,
               bool include_usage, size_t text_offset) {
  const bool chat = meta.endpoint == Endpoint::kChat;
  json choice = {{"index", index},
                 {"logprobs", logprobsJson(meta, delta.logprobs, text_offset)},
                 {"finish_reason", delta.finished ? json(apiFinishReason(delta.reason)) : json()}};
  if (chat) {
    json d = json::object();
    if (first) d["role"] = "assistant";
    if (!delta.text.empty() || first) d["content"] = delta.text;
    choice["delta"] = d;
  } else {
    choice["text"] = delta.text;
  }
  json chunk = {{"id", meta.id},
                {"object", chat ? "chat.completion.chunk" : "text_completion"},
                {"created", meta.created},
                {"model", meta.model},
                {"choices", json::array({choice})}};
  if (include_usage) chunk["usage"] = nullptr;
  return chunk;
}

json usageChunkJson(const ResponseMeta &meta, int64_t prompt_tokens, int64_t completion_tokens) {
  const bool chat = meta.endpoint == Endpoint::kChat;
  return {{"id", meta.id},
          {"object", chat ? "chat.completion.chunk" : "text_completion"},
          {"created", meta.created},
          {"model", meta.model},
          {"choices", json::array()},
          {"usage", usageJson(prompt_tokens, completion_tokens)}};
}

std::string newResponseId(Endpoint endpoint) {
  static std::atomic<uint64_t> counter{std::random_device{}()};
  const uint64_t n = counter.fetch_add(1) * 0x9E3779B97F4A7C15ull;
  return absl::StrFormat("%s-%016x", endpoint == Endpoint::kChat ? "chatcmpl" : "cmpl", n);
}

}  // namespace lfm::tools
