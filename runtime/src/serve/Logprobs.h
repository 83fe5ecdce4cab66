// Log-probabilities for the OpenAI `logprobs` field: the log-softmax of the
// model's logits row (before any sampling transform, as vLLM reports them)
// at the chosen token, and the most likely tokens.
#ifndef LFM_SERVE_LOGPROBS_H
#define LFM_SERVE_LOGPROBS_H

#include <cstdint>
#include <span>

#include "lfm/ServeRequest.h"

namespace lfm::serve {

// `top` most likely tokens (ties: the lower id first), most likely first.
TokenLogprob tokenLogprob(std::span<const float> logits, int32_t chosen, int32_t top);

}  // namespace lfm::serve

#endif  // LFM_SERVE_LOGPROBS_H
