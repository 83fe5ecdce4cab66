// The body of POST /v1/completions and /v1/chat/completions, checked and
// turned into engine requests: prompts tokenized (completions: BOS added to
// text prompts, token ids as given; chat: the messages rendered with the
// model's chat template, which emits BOS itself), sampling fields over the
// model's defaults.
#ifndef LFM_TOOLS_LFMSERVE_OPENAIREQUEST_H
#define LFM_TOOLS_LFMSERVE_OPENAIREQUEST_H

#include <string>
#include <variant>
#include <vector>

#include "ApiError.h"
#include "lfm/ServeRequest.h"
#include "lfm/TextModel.h"
#include "nlohmann/json.hpp"

namespace lfm::tools {

enum class Endpoint { kCompletions, kChat };

struct ApiRequest {
  Endpoint endpoint = Endpoint::kCompletions;
  std::string model;
  // One engine request per choice (completions: one per prompt).
  std::vector<GenerationRequest> choices;
  bool stream = false;
  bool include_usage = false;
  int32_t logprobs = -1;  // as GenerationRequest::logprobs
};

struct ApiContext {
  const TextModel *text = nullptr;  // null: token-id prompts only
  SamplingOptions sampling;         // the model's defaults
  int64_t max_seq_len = 0;
  double request_timeout = 0;  // seconds; 0: none
  int64_t max_tokens = 0;      // the most a request may generate; 0: none
};

std::variant<ApiRequest, ApiError> parseApiRequest(Endpoint endpoint, const nlohmann::json &body,
                                                   const ApiContext &context);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMSERVE_OPENAIREQUEST_H
