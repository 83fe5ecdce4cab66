// What a client asks the serving engine for (a GenerationRequest) and what
// it gets back while the request runs (RequestUpdate, through a
// RequestHandle). No HTTP here: the server, tests and bindings share it.
//
//   auto handle = engine->submit({.prompt = ids, .max_tokens = 64});
//   while (auto update = (*handle)->next(std::chrono::milliseconds(100))) {
//     out << update->text;
//     if (update->finished) break;
//   }
#ifndef LFM_SERVEREQUEST_H
#define LFM_SERVEREQUEST_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lfm/Sampler.h"

namespace lfm {

using ServeClock = std::chrono::steady_clock;

struct GenerationRequest {
  std::vector<int32_t> prompt;  // at least one token, at most the slot's capacity
  SamplingOptions sampling;
  // The most tokens to generate (>= 1). The slot's capacity may end the
  // request earlier, with kLength.
  int64_t max_tokens = 16;
  // Matched on the generated text across token boundaries; never part of
  // the output. Needs an engine with a tokenizer.
  std::vector<std::string> stop;
  bool ignore_eos = false;
  // -1: none; 0: the chosen token's log-probability; k > 0: and the k most
  // likely tokens' (at most kMaxTopLogprobs).
  int32_t logprobs = -1;
  // The request ends with kTimeout when this passes (queued or running).
  std::optional<ServeClock::time_point> deadline;
};

inline constexpr int32_t kMaxTopLogprobs = 20;

enum class FinishReason : uint8_t {
  kStop = 0,       // an EOS token or a stop string
  kLength = 1,     // max_tokens, the slot's capacity, or the engine shutting down
  kCancelled = 2,  // RequestHandle::cancel (the client went away)
  kTimeout = 3,    // the request's deadline passed
  kError = 4,      // the step failed; `error` says why
};
inline constexpr int kFinishReasons = 5;
// "stop", "length", "cancelled", "timeout", "error".
std::string_view finishReasonName(FinishReason reason);

struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0.0f;  // log-softmax of the model's logits row
  // The most likely tokens, most likely first (empty unless asked for).
  std::vector<std::pair<int32_t, float>> top;
};

// Everything new since the previous update; the engine merges updates the
// reader has not taken yet, so it never waits for a slow reader.
struct RequestUpdate {
  std::vector<int32_t> tokens;  // generated tokens (an EOS token included)
  std::string text;             // their text, stop strings held back
  std::vector<TokenLogprob> logprobs;  // one per token when asked for
  bool finished = false;
  FinishReason reason = FinishReason::kStop;
  absl::Status error;  // set with kError
  // Totals so far.
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
};

// The client's side of a submitted request. Thread-safe.
class RequestHandle {
 public:
  explicit RequestHandle(int64_t id, int64_t prompt_tokens) : id_(id), prompt_tokens_(prompt_tokens) {}

  int64_t id() const { return id_; }
  // Waits up to `timeout` for something new; nullopt when nothing came.
  // After the finished update, returns nullopt at once.
  std::optional<RequestUpdate> next(std::chrono::milliseconds timeout);
  // Everything up to the end (waits as long as it takes).
  RequestUpdate wait();
  // Asks the engine to end the request within its next step (kCancelled,
  // unless it finishes first). Idempotent.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelRequested() const { return cancelled_.load(std::memory_order_relaxed); }

  // The engine's side.
  void publish(RequestUpdate update);

 private:
  const int64_t id_;
  const int64_t prompt_tokens_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<RequestUpdate> pending_;
  bool delivered_end_ = false;
};

}  // namespace lfm

#endif  // LFM_SERVEREQUEST_H
