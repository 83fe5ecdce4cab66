#include "lfm/ServeRequest.h"

namespace lfm {

std::string_view finishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
    case FinishReason::kTimeout: return "timeout";
    case FinishReason::kError: return "error";
  }
  return "error";
}

void RequestHandle::publish(RequestUpdate update) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!pending_) {
      pending_ = std::move(update);
    } else {
      // The reader has not taken the last update: merge, so the engine
      // never waits for it.
      RequestUpdate &p = *pending_;
      p.tokens.insert(p.tokens.end(), update.tokens.begin(), update.tokens.end());
      p.text += update.text;
      for (TokenLogprob &l : update.logprobs) p.logprobs.push_back(std::move(l));
      p.finished = update.finished;
      p.reason = update.reason;
      p.error = update.error;
      p.prompt_tokens = update.prompt_tokens;
      p.generated_tokens = update.generated_tokens;
    }
  }
  ready_.notify_all();
}

std::optional<RequestUpdate> RequestHandle::next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (delivered_end_) return std::nullopt;
  if (!ready_.wait_for(lock, timeout, [&] { return pending_.has_value(); })) return std::nullopt;
  RequestUpdate update = std::move(*pending_);
  pending_.reset();
  if (update.finished) delivered_end_ = true;
  return update;
}

RequestUpdate RequestHandle::wait() {
  RequestUpdate all;
  all.prompt_tokens = prompt_tokens_;
  while (true) {
    std::optional<RequestUpdate> update = next(std::chrono::milliseconds(1000));
    if (!update) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (delivered_end_) return all;
      continue;
    }
    all.tokens.insert(all.tokens.end(), update->tokens.begin(), update->tokens.end());
    all.text += update->text;
    for (TokenLogprob &l : update->logprobs) all.logprobs.push_back(std::move(l));
    all.finished = update->finished;
    all.reason = update->reason;
    all.error = update->error;
    all.prompt_tokens = update->prompt_tokens;
    all.generated_tokens = update->generated_tokens;
    if (all.finished) return all;
  }
}

}  // namespace lfm
