#include "lfm/Engine.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"
#include "serve/Logprobs.h"
#include "serve/RequestText.h"

namespace lfm {

struct Engine::Active {
  Active(int64_t id, GenerationRequest req, Sampler s, const Tokenizer *tokenizer)
      : id(id),
        handle(std::make_shared<RequestHandle>(id, static_cast<int64_t>(req.prompt.size()))),
        request(std::move(req)),
        sampler(std::move(s)),
        prompt_len(static_cast<int64_t>(request.prompt.size())),
        context(request.prompt),
        submitted(ServeClock::now()) {
    if (tokenizer) text.emplace(*tokenizer, request.stop);
  }

  bool prefilling() const { return fed < prompt_len; }
  // A sampled token waits to be fed.
  bool decoding() const { return !prefilling() && fed + 1 == static_cast<int64_t>(context.size()); }

  int64_t id;
  std::shared_ptr<RequestHandle> handle;
  GenerationRequest request;
  Sampler sampler;
  std::optional<serve::RequestText> text;
  int64_t prompt_len;
  std::vector<int32_t> context;  // the prompt, then every generated token
  int64_t fed = 0;               // tokens in the slot
  int64_t generated = 0;
  bool admitted = false;
  bool done = false;
  ServeClock::time_point submitted, last_token;
};

namespace {

double secondsSince(ServeClock::time_point start, ServeClock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

}  // namespace

Engine::Engine(std::unique_ptr<Session> session, EngineOptions options)
    : session_(std::move(session)), options_(std::move(options)) {
  const StateShape &shape = session_->pool().shape();
  slots_ = shape.slots;
  max_seq_len_ = shape.max_seq_len;
  vocab_ = session_->plan().config.vocab_size;
  const int64_t plan_max = session_->plan().max_tokens_per_step;
  budget_ = options_.max_batch_tokens > 0 ? std::min(options_.max_batch_tokens, plan_max) : plan_max;
  stats_.slots_total = slots_;
  stats_.slots_free = slots_;
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::create(std::unique_ptr<Session> session,
                                                       EngineOptions options) {
  if (!session) return absl::InvalidArgumentError("engine: no session");
  if (session->plan().max_tokens_per_step < 1)
    return absl::InvalidArgumentError("engine: the plan takes no tokens per step");
  if (options.max_queue < 0)
    return absl::InvalidArgumentError(
        absl::StrCat("engine: max_queue must be >= 0, got ", options.max_queue));
  if (options.max_batch_tokens < 0)
    return absl::InvalidArgumentError(
        absl::StrCat("engine: max_batch_tokens must be >= 0, got ", options.max_batch_tokens));
  std::unique_ptr<Engine> engine(new Engine(std::move(session), std::move(options)));
  if (engine->options_.start_loop) engine->thread_ = std::thread([e = engine.get()] { e->loop(); });
  return engine;
}

Engine::~Engine() { shutdown(ServeClock::now()); }

absl::StatusOr<std::shared_ptr<RequestHandle>> Engine::submit(GenerationRequest request) {
  auto refuse = [&](absl::Status status) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.rejected;
    return status;
  };
  const int64_t prompt_len = static_cast<int64_t>(request.prompt.size());
  if (prompt_len == 0) return refuse(absl::InvalidArgumentError("the prompt has no tokens"));
  if (prompt_len > max_seq_len_)
    return refuse(absl::InvalidArgumentError(
        absl::StrCat("the prompt has ", prompt_len, " tokens, more than the ", max_seq_len_,
                     " a request may hold")));
  for (int32_t id : request.prompt)
    if (id < 0 || id >= vocab_)
      return refuse(absl::InvalidArgumentError(
          absl::StrCat("prompt token ", id, " is outside the vocabulary [0, ", vocab_, ")")));
  if (request.max_tokens < 1)
    return refuse(absl::InvalidArgumentError(
        absl::StrCat("max_tokens must be at least 1, got ", request.max_tokens)));
  if (request.logprobs < -1 || request.logprobs > kMaxTopLogprobs)
    return refuse(absl::InvalidArgumentError(absl::StrCat(
        "top_logprobs must be in [0, ", kMaxTopLogprobs, "], got ", request.logprobs)));
  request.stop.erase(std::remove(request.stop.begin(), request.stop.end(), std::string()),
                     request.stop.end());
  if (!request.stop.empty() && !options_.tokenizer)
    return refuse(absl::InvalidArgumentError("stop strings need a tokenizer"));
  absl::StatusOr<Sampler> sampler = Sampler::create(request.sampling);
  if (!sampler.ok()) return refuse(sampler.status());

  std::lock_guard<std::mutex> lock(mutex_);
  if (!accepting_) {
    ++stats_.rejected;
    return absl::UnavailableError("the server is shutting down");
  }
  // Requests that a free slot takes at once do not count against the queue.
  const int64_t free = slots_ - stats_.running;
  if (queued_ >= options_.max_queue + std::max<int64_t>(free, 0)) {
    ++stats_.rejected;
    return absl::ResourceExhaustedError(absl::StrCat(
        "the queue is full (", options_.max_queue, " requests waiting for a slot)"));
  }
  auto active = std::make_unique<Active>(next_id_++, std::move(request), std::move(*sampler),
                                         options_.tokenizer);
  std::shared_ptr<RequestHandle> handle = active->handle;
  incoming_.push_back(std::move(active));
  ++queued_;
  stats_.waiting = queued_;
  wake_.notify_all();
  return handle;
}

void Engine::shutdown(ServeClock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  accepting_ = false;
  if (!thread_.joinable()) {
    lock.unlock();
    // No loop: end what is left here.
    takeIncoming();
    endAll(FinishReason::kLength);
    updateGauges();
    return;
  }
  wake_.wait_until(lock, deadline, [&] { return queued_ == 0 && stats_.running == 0; });
  end_now_ = true;
  stop_ = true;
  wake_.notify_all();
  lock.unlock();
  thread_.join();
}

absl::StatusOr<bool> Engine::runStep() {
  if (thread_.joinable())
    return absl::FailedPreconditionError("runStep: the engine runs its own loop");
  return iterate();
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void Engine::loop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] {
        return stop_ || !incoming_.empty() || !waiting_.empty() || !running_.empty();
      });
      if (stop_ && incoming_.empty() && waiting_.empty() && running_.empty()) return;
    }
    absl::StatusOr<bool> ran = iterate();
    (void)ran;  // a failed step already failed its requests
  }
}

absl::StatusOr<bool> Engine::iterate() {
  takeIncoming();
  expire();
  admit();
  bool ran = false;
  absl::Status status = runBatch(ran);
  updateGauges();
  if (!status.ok()) return status;
  return ran;
}

void Engine::takeIncoming() {
  std::lock_guard<std::mutex> lock(mutex_);
  while (!incoming_.empty()) {
    waiting_.push_back(std::move(incoming_.front()));
    incoming_.pop_front();
  }
}

void Engine::expire() {
  bool end_now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    end_now = end_now_;
  }
  if (end_now) {
    endAll(FinishReason::kLength);
    return;
  }
  const ServeClock::time_point now = ServeClock::now();
  auto check = [&](Active &r) {
    if (r.handle->cancelRequested()) {
      finish(r, FinishReason::kCancelled);
    } else if (r.request.deadline && now >= *r.request.deadline) {
      finish(r, FinishReason::kTimeout);
    }
  };
  for (auto &r : running_) check(*r);
  for (auto &r : waiting_) check(*r);
  std::erase_if(running_, [](const auto &r) { return r->done; });
  std::erase_if(waiting_, [](const auto &r) { return r->done; });
}

void Engine::admit() {
  // First come, first served: the oldest waiting request takes the next
  // free slot; none is skipped.
  while (!waiting_.empty() && session_->pool().freeSlots() > 0) {
    std::unique_ptr<Active> r = std::move(waiting_.front());
    waiting_.pop_front();
    if (absl::StatusOr<int32_t> slot = session_->claim(r->id); !slot.ok()) {
      finish(*r, FinishReason::kError, slot.status());
      continue;
    }
    r->admitted = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.prompt_tokens += static_cast<uint64_t>(r->prompt_len);
      --queued_;
      stats_.waiting = queued_;
      ++stats_.running;
      stats_.slots_free = session_->pool().freeSlots();
      stats_.slots_used = slots_ - stats_.slots_free;
    }
    running_.push_back(std::move(r));
  }
}

absl::Status Engine::runBatch(bool &ran) {
  ran = false;
  if (running_.empty()) return absl::OkStatus();
  const ServeClock::time_point start = ServeClock::now();

  // Decode rows first: one token per running request that has one to feed.
  std::vector<Active *> decoders;
  for (auto &r : running_)
    if (r->decoding()) decoders.push_back(r.get());
  std::vector<Active *> members;
  std::vector<SequenceStep> batch;
  int64_t left = budget_;
  if (static_cast<int64_t>(decoders.size()) > left) {
    // More decodes than the budget (slots > max_batch_tokens): take turns.
    const size_t n = decoders.size();
    std::rotate(decoders.begin(), decoders.begin() + static_cast<ptrdiff_t>(decode_cursor_ % n),
                decoders.end());
    decoders.resize(static_cast<size_t>(left));
    decode_cursor_ += static_cast<size_t>(left);
  }
  StepReport report;
  for (Active *r : decoders) {
    members.push_back(r);
    batch.push_back({r->id, std::span<const int32_t>(r->context).subspan(r->fed, 1)});
    --left;
    ++report.decode_rows;
  }
  // Then prompt chunks, oldest admission first, as far as the budget goes.
  for (auto &r : running_) {
    if (left == 0) break;
    if (!r->prefilling()) continue;
    const int64_t chunk = std::min(r->prompt_len - r->fed, left);
    members.push_back(r.get());
    batch.push_back({r->id, std::span<const int32_t>(r->context).subspan(r->fed, chunk)});
    left -= chunk;
    report.prefill_tokens += chunk;
  }
  if (batch.empty()) return absl::OkStatus();
  for (const SequenceStep &s : batch) {
    report.request_ids.push_back(s.request_id);
    report.sequence_tokens.push_back(static_cast<int64_t>(s.tokens.size()));
  }
  report.tokens = budget_ - left;

  absl::StatusOr<StepResult> result = session_->step(batch);
  ran = true;
  if (!result.ok()) {
    // Nothing advanced: the requests of this batch fail, the others go on.
    for (Active *r : members) finish(*r, FinishReason::kError, result.status());
    std::erase_if(running_, [](const auto &r) { return r->done; });
    if (options_.on_step) options_.on_step(report);
    return result.status();
  }

  const ServeClock::time_point now = ServeClock::now();
  uint64_t new_tokens = 0;
  std::vector<double> ttfts, itls;
  // Each sampled token's update, and whether it ends the request; sent
  // after the stats count them.
  struct Out {
    Active *request;
    RequestUpdate update;
    std::optional<FinishReason> reason;
  };
  std::vector<Out> outs;
  for (size_t i = 0; i < members.size(); ++i) {
    Active &r = *members[i];
    r.fed += static_cast<int64_t>(batch[i].tokens.size());
    if (r.fed != static_cast<int64_t>(r.context.size())) continue;  // more prompt to read

    std::span<const float> row = result->lastRow(static_cast<int64_t>(i));
    absl::StatusOr<int32_t> token = r.sampler.sample(row, r.context);
    if (!token.ok()) {
      finish(r, FinishReason::kError, token.status());
      continue;
    }
    Out out{&r, {}, std::nullopt};
    RequestUpdate &update = out.update;
    update.tokens.push_back(*token);
    if (r.request.logprobs >= 0)
      update.logprobs.push_back(serve::tokenLogprob(row, *token, r.request.logprobs));
    r.context.push_back(*token);
    ++r.generated;
    ++new_tokens;
    if (r.generated == 1) {
      ttfts.push_back(secondsSince(r.submitted, now));
    } else {
      itls.push_back(secondsSince(r.last_token, now));
    }
    r.last_token = now;

    const bool eos = !r.request.ignore_eos &&
                     std::find(options_.eos_ids.begin(), options_.eos_ids.end(), *token) !=
                         options_.eos_ids.end();
    if (eos) {
      out.reason = FinishReason::kStop;
    } else if (r.text) {
      absl::StatusOr<std::string> piece = r.text->push(*token);
      if (!piece.ok()) {
        finish(r, FinishReason::kError, piece.status());
        continue;
      }
      update.text = std::move(*piece);
      if (r.text->stopped()) out.reason = FinishReason::kStop;
    }
    if (!out.reason && r.generated >= r.request.max_tokens) out.reason = FinishReason::kLength;
    // The new token needs a place in the slot to be fed.
    if (!out.reason && r.fed >= max_seq_len_) out.reason = FinishReason::kLength;
    update.prompt_tokens = r.prompt_len;
    update.generated_tokens = r.generated;
    outs.push_back(std::move(out));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.steps;
    stats_.generated_tokens += new_tokens;
    for (double t : ttfts) stats_.time_to_first_token.observe(t);
    for (double t : itls) stats_.inter_token_latency.observe(t);
    stats_.step_time.observe(secondsSince(start, ServeClock::now()));
  }
  for (Out &out : outs) {
    out.request->handle->publish(std::move(out.update));
    if (out.reason) finish(*out.request, *out.reason);
  }
  std::erase_if(running_, [](const auto &r) { return r->done; });
  if (options_.on_step) options_.on_step(report);
  return absl::OkStatus();
}

void Engine::finish(Active &r, FinishReason reason, absl::Status error) {
  if (r.done) return;
  r.done = true;
  const bool admitted = r.admitted;
  // Cannot fail: the request holds its slot.
  if (admitted) (void)session_->release(r.id);
  r.admitted = false;
  {
    // The stats first: a client that sees its request end sees it counted
    // and its slot free.
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.finished[static_cast<size_t>(reason)];
    if (admitted) {
      --stats_.running;
    } else {
      --queued_;
      stats_.waiting = queued_;
    }
    stats_.slots_free = session_->pool().freeSlots();
    stats_.slots_used = slots_ - stats_.slots_free;
  }
  RequestUpdate update;
  if (r.text && reason != FinishReason::kError) update.text = r.text->finish();
  update.finished = true;
  update.reason = reason;
  update.error = std::move(error);
  update.prompt_tokens = r.prompt_len;
  update.generated_tokens = r.generated;
  r.handle->publish(std::move(update));
}

void Engine::endAll(FinishReason reason) {
  for (auto &r : running_) finish(*r, reason);
  for (auto &r : waiting_) finish(*r, reason);
  running_.clear();
  waiting_.clear();
}

void Engine::updateGauges() {
  std::lock_guard<std::mutex> lock(mutex_);
  queued_ = static_cast<int64_t>(incoming_.size() + waiting_.size());
  stats_.waiting = queued_;
  stats_.running = static_cast<int64_t>(running_.size());
  stats_.slots_free = session_->pool().freeSlots();
  stats_.slots_used = slots_ - stats_.slots_free;
  if (queued_ == 0 && stats_.running == 0) wake_.notify_all();
}

}  // namespace lfm
