// The serving engine: continuous batching over a session's slot pool. One
// loop thread owns the session; clients submit requests from any thread and
// read their updates through a RequestHandle, so the loop never waits for a
// client.
//
//   auto engine = Engine::create(std::move(session), {.tokenizer = tok, .eos_ids = eos});
//   auto handle = (*engine)->submit(request);    // ResourceExhausted: queue full
//   RequestUpdate all = (*handle)->wait();
//
// Each step packs one decode row per running request and then chunks of
// the prompts still being read (first come, first served), up to
// max_batch_tokens; then every request whose prompt is in samples its next
// token with its own sampler. A request claims a slot when it is admitted
// and releases it when it finishes, is cancelled, times out or fails.
// Cancellation and deadlines take effect at the start of the next step.
#ifndef LFM_ENGINE_H
#define LFM_ENGINE_H

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lfm/ServeRequest.h"
#include "lfm/ServeStats.h"
#include "lfm/Session.h"
#include "lfm/Tokenizer.h"

namespace lfm {

// What one step held, for tests and tracing.
struct StepReport {
  int64_t tokens = 0;          // rows in the step
  int64_t decode_rows = 0;     // single-token decodes
  int64_t prefill_tokens = 0;  // prompt tokens
  std::vector<int64_t> request_ids;  // sequences, in batch order
  std::vector<int64_t> sequence_tokens;  // tokens of each
};

struct EngineOptions {
  // Tokens per step; 0 or more than the plan takes: plan.max_tokens_per_step.
  int64_t max_batch_tokens = 0;
  // Requests waiting for a slot; one more is refused (ResourceExhausted).
  int64_t max_queue = 64;
  // Text: streaming detokenization and stop strings. May be null (ids only);
  // must outlive the engine.
  const Tokenizer *tokenizer = nullptr;
  // Generation ends at any of these (unless the request ignores EOS).
  std::vector<int32_t> eos_ids;
  // false: no loop thread; the caller runs runStep() (tests).
  bool start_loop = true;
  // Called on the loop thread after every step.
  std::function<void(const StepReport &)> on_step;
};

class Engine {
 public:
  static absl::StatusOr<std::unique_ptr<Engine>> create(std::unique_ptr<Session> session,
                                                        EngineOptions options);
  // Cancels what is left and stops the loop.
  ~Engine();

  // Queues a request. Errors: InvalidArgument (no prompt, a prompt longer
  // than a slot, bad sampling options, stop strings without a tokenizer,
  // max_tokens < 1, logprobs out of range), ResourceExhausted (the waiting
  // queue is full), Unavailable (shutting down).
  absl::StatusOr<std::shared_ptr<RequestHandle>> submit(GenerationRequest request);

  // Stops taking requests and waits up to `deadline` for those queued and
  // running to finish; the rest end with kLength. Then the loop stops.
  void shutdown(ServeClock::time_point deadline);

  // One iteration of the loop: takes new requests, applies cancellations,
  // admits, runs a step when there is work. Only with start_loop false.
  // Returns whether a device step ran.
  absl::StatusOr<bool> runStep();

  EngineStats stats() const;
  int64_t slots() const { return slots_; }
  int64_t maxSeqLen() const { return max_seq_len_; }
  int64_t vocabSize() const { return vocab_; }
  int64_t maxBatchTokens() const { return budget_; }

 private:
  struct Active;  // a request the engine holds (Engine.cpp)

  Engine(std::unique_ptr<Session> session, EngineOptions options);
  void loop();
  absl::StatusOr<bool> iterate();
  void takeIncoming();
  void expire();
  void admit();
  absl::Status runBatch(bool &ran);
  void finish(Active &request, FinishReason reason, absl::Status error = {});
  void endAll(FinishReason reason);
  void updateGauges();

  std::unique_ptr<Session> session_;
  EngineOptions options_;
  int64_t slots_ = 0, max_seq_len_ = 0, vocab_ = 0, budget_ = 0;

  // Shared with submitting threads.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Active>> incoming_;
  int64_t queued_ = 0;  // incoming + waiting
  int64_t next_id_ = 1;
  bool accepting_ = true;
  bool stop_ = false;
  bool end_now_ = false;  // the shutdown deadline passed
  EngineStats stats_;

  // The loop thread's own.
  std::deque<std::unique_ptr<Active>> waiting_;
  std::vector<std::unique_ptr<Active>> running_;  // admission order
  size_t decode_cursor_ = 0;  // rotates decodes when they outnumber the budget
  std::thread thread_;
};

}  // namespace lfm

#endif  // LFM_ENGINE_H
