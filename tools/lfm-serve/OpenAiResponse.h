// Response bodies of the OpenAI API: whole completions, streamed chunks
// (server-sent events) and their usage, with log-probabilities in the
// completions (legacy) or chat shape.
#ifndef LFM_TOOLS_LFMSERVE_OPENAIRESPONSE_H
#define LFM_TOOLS_LFMSERVE_OPENAIRESPONSE_H

#include <cstdint>
#include <string>
#include <vector>

#include "OpenAiRequest.h"
#include "lfm/ServeRequest.h"
#include "lfm/Tokenizer.h"
#include "nlohmann/json.hpp"

namespace lfm::tools {

// Who the response is for: the same in every chunk of a stream.
struct ResponseMeta {
  Endpoint endpoint = Endpoint::kCompletions;
  std::string id;  // "cmpl-..." or "chatcmpl-..."
  int64_t created = 0;
  std::string model;
  const Tokenizer *tokenizer = nullptr;  // for log-probability tokens; may be null
  int32_t logprobs = -1;
};

// "stop" or "length" (a deadline or the shutdown ends a request as "length").
const char *apiFinishReason(FinishReason reason);

nlohmann::json usageJson(int64_t prompt_tokens, int64_t completion_tokens);

// The whole response; `results` are the choices' accumulated updates.
nlohmann::json completionJson(const ResponseMeta &meta, const std::vector<RequestUpdate> &results);

// One chunk of choice `index`: the text (and log-probabilities) of
// `delta`, and its finish_reason when it is the last. Chat: `first` adds
// the assistant role. `text_offset`: the choice's text so far (completions'
// logprobs.text_offset).
nlohmann::json chunkJson(const ResponseMeta &meta, int index, const RequestUpdate &delta,
                         bool first, bool include_usage, size_t text_offset);
// The last chunk when stream_options.include_usage: no choices, the usage.
nlohmann::json usageChunkJson(const ResponseMeta &meta, int64_t prompt_tokens,
                              int64_t completion_tokens);

// A unique response id with the endpoint's prefix.
std::string newResponseId(Endpoint endpoint);

}  // namespace lfm::tools

#endif  // LFM_TOOLS_LFMSERVE_OPENAIRESPONSE_H
