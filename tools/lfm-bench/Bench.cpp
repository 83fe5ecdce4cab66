// Timed loops over Session::step. Every step returns its logits to the host,
// as a server's would, so the times include that copy.
#include "Bench.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "lfm/StatusMacros.h"

namespace lfm::tools {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::vector<int32_t> promptTokens(int64_t n, int64_t vocab, int64_t salt) {
  std::vector<int32_t> t(n);
  for (int64_t i = 0; i < n; ++i) t[i] = static_cast<int32_t>((i * 7919 + salt * 104729 + 1) % vocab);
  return t;
}

absl::Status prefill(Session &session, const std::vector<int64_t> &ids,
                     const std::vector<std::vector<int32_t>> &prompts) {
  const int64_t limit = session.plan().max_tokens_per_step;
  std::vector<size_t> done(ids.size(), 0);
  while (true) {
    std::vector<SequenceStep> batch;
    int64_t budget = limit;
    for (size_t i = 0; i < ids.size() && budget > 0; ++i) {
      int64_t left = static_cast<int64_t>(prompts[i].size() - done[i]);
      if (left == 0) continue;
      int64_t take = std::min(left, budget);
      batch.push_back({ids[i], {prompts[i].data() + done[i], static_cast<size_t>(take)}});
      done[i] += take;
      budget -= take;
    }
    if (batch.empty()) return absl::OkStatus();
    LFM_RETURN_IF_ERROR(session.step(batch).status());
  }
}

absl::StatusOr<PrefillResult> benchPrefill(Session &session, const BenchOptions &options) {
  const int64_t vocab = session.plan().config.vocab_size;
  std::vector<int32_t> prompt = promptTokens(options.prompt_len, vocab, 0);
  PrefillResult r;
  r.tokens = options.prompt_len;
  r.seconds = 1e30;
  // One untimed run (module loads, first-touch allocations), then the best
  // of `repeats`.
  for (int rep = 0; rep <= options.repeats; ++rep) {
    const int64_t id = 1'000'000 + rep;
    LFM_RETURN_IF_ERROR(session.claim(id).status());
    auto start = Clock::now();
    absl::Status s = prefill(session, {id}, {prompt});
    double t = since(start);
    LFM_RETURN_IF_ERROR(session.release(id));
    LFM_RETURN_IF_ERROR(s);
    if (rep > 0) r.seconds = std::min(r.seconds, t);
  }
  return r;
}

absl::StatusOr<DecodeResult> benchDecode(Session &session, const BenchOptions &options,
                                         int64_t batch) {
  const int64_t vocab = session.plan().config.vocab_size;
  std::vector<int64_t> ids;
  std::vector<std::vector<int32_t>> prompts;
  for (int64_t i = 0; i < batch; ++i) {
    ids.push_back(2'000'000 + i);
    prompts.push_back(promptTokens(options.decode_context, vocab, i + 1));
    LFM_RETURN_IF_ERROR(session.claim(ids.back()).status());
  }
  auto release_all = [&] {
    for (int64_t id : ids) session.release(id).IgnoreError();
  };
  absl::Status s = prefill(session, ids, prompts);
  DecodeResult r;
  r.batch = batch;
  r.steps = options.decode_steps;
  std::vector<int32_t> tokens(batch);
  std::vector<SequenceStep> step(batch);
  auto decode_step = [&](int64_t t) -> absl::Status {
    for (int64_t i = 0; i < batch; ++i) {
      tokens[i] = static_cast<int32_t>((t * 31 + i * 17 + 5) % vocab);
      step[i] = {ids[i], {&tokens[i], 1}};
    }
    return session.step(step).status();
  };
  for (int t = 0; s.ok() && t < options.warmup; ++t) s = decode_step(t);
  auto start = Clock::now();
  for (int64_t t = 0; s.ok() && t < options.decode_steps; ++t) s = decode_step(options.warmup + t);
  r.seconds = since(start);
  release_all();
  LFM_RETURN_IF_ERROR(s);
  // The attended context grows by one each step: its mean over the timed ones.
  r.context = options.decode_context + options.warmup + (options.decode_steps + 1) / 2.0;
  r.traffic = decodeTraffic(session.plan(), batch, r.context);
  return r;
}

}  // namespace lfm::tools
