// libFuzzer target over lfm-serve's request parsing: an HTTP body as the
// server reads it (JSON, with its nesting bound), then the OpenAI request
// checks, tokenization and chat rendering of /v1/completions and
// /v1/chat/completions with the demo model's tokenizer and template. The
// first byte picks the endpoint (bit 0) and a --max-tokens cap (bit 1).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "OpenAiRequest.h"
#include "RequestBody.h"
#include "lfm/TextModel.h"
#include "lfm/TokenizerFiles.h"

namespace {

const lfm::TextModel &demoModel() {
  static const lfm::TextModel model = [] {
    const std::string dir = std::string(LFM_FUZZ_SOURCE_DIR) + "/models/lfm2-kjv";
    auto files = lfm::readTokenizerFilesAt(dir);
    if (!files.ok()) std::abort();
    auto text = lfm::loadTextModel(*files, dir);
    if (!text.ok()) std::abort();
    return std::move(*text);
  }();
  return model;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const auto endpoint = data[0] % 2 ? lfm::tools::Endpoint::kChat
                                    : lfm::tools::Endpoint::kCompletions;
  std::variant<nlohmann::json, lfm::tools::ApiError> read = lfm::tools::parseRequestBody(
      std::string_view(reinterpret_cast<const char *>(data) + 1, size - 1));
  const auto *body = std::get_if<nlohmann::json>(&read);
  if (!body) return 0;
  lfm::tools::ApiContext context;
  context.text = &demoModel();
  context.max_seq_len = 512;
  context.max_tokens = data[0] & 2 ? 64 : 0;  // lfm-serve --max-tokens
  std::variant<lfm::tools::ApiRequest, lfm::tools::ApiError> parsed =
      lfm::tools::parseApiRequest(endpoint, *body, context);
  // An accepted request fits the context and the token cap it was checked
  // against.
  if (auto *request = std::get_if<lfm::tools::ApiRequest>(&parsed))
    for (const lfm::GenerationRequest &choice : request->choices)
      if (static_cast<int64_t>(choice.prompt.size()) > context.max_seq_len ||
          (context.max_tokens > 0 && choice.max_tokens > context.max_tokens))
        __builtin_trap();
  return 0;
}
