// The engine's scheduling, stepped by hand: admission first come first
// served, prompt chunks under the token budget (decodes first), slot
// accounting, the waiting queue's bound, invalid requests, shutdown.
#include <gtest/gtest.h>

#include "ServeTestUtil.h"

namespace lfm::testing {
namespace {

std::vector<int32_t> prompt(int n, int32_t seed = 0) {
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) p[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7 + seed * 3 + 1) % kVocab);
  return p;
}

TEST(EngineScheduling, ChunksPromptsUnderTheBudgetWithDecodesFirst) {
  std::vector<StepReport> steps;
  EngineOptions options = manualOptions();
  options.max_batch_tokens = 4;
  options.on_step = [&](const StepReport &r) { steps.push_back(r); };
  auto engine = makeEngine({}, options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->maxBatchTokens(), 4);
  auto a = (*engine)->submit(greedy(prompt(10), 3));
  auto b = (*engine)->submit(greedy(prompt(5, 1), 3));
  ASSERT_TRUE(a.ok() && b.ok());
  runToEnd(**engine);
  RequestUpdate ra = (*a)->wait(), rb = (*b)->wait();
  EXPECT_EQ(ra.tokens.size(), 3u);
  EXPECT_EQ(rb.tokens.size(), 3u);

  ASSERT_GE(steps.size(), 4u);
  // Steps: a reads 4, a 4, a 2 + b 2 (a's first token), then a's decode
  // comes first and b reads its next 3.
  EXPECT_EQ(steps[0].request_ids, std::vector<int64_t>({1}));
  EXPECT_EQ(steps[0].sequence_tokens, std::vector<int64_t>({4}));
  EXPECT_EQ(steps[2].request_ids, std::vector<int64_t>({1, 2}));
  EXPECT_EQ(steps[2].sequence_tokens, std::vector<int64_t>({2, 2}));
  EXPECT_EQ(steps[3].request_ids, std::vector<int64_t>({1, 2}));
  EXPECT_EQ(steps[3].sequence_tokens, std::vector<int64_t>({1, 3}));
  EXPECT_EQ(steps[3].decode_rows, 1);
  for (const StepReport &s : steps) {
    EXPECT_LE(s.tokens, 4);
    EXPECT_EQ(s.tokens, s.decode_rows + s.prefill_tokens);
  }

  // Chunking does not change the tokens: the same requests with the whole
  // prompt in one step.
  auto whole = makeEngine({}, manualOptions());
  ASSERT_TRUE(whole.ok());
  auto a2 = (*whole)->submit(greedy(prompt(10), 3));
  auto b2 = (*whole)->submit(greedy(prompt(5, 1), 3));
  runToEnd(**whole);
  EXPECT_EQ((*a2)->wait().tokens, ra.tokens);
  EXPECT_EQ((*b2)->wait().tokens, rb.tokens);
}

TEST(EngineScheduling, TheBudgetIsAtMostThePlans) {
  EngineOptions options = manualOptions();
  options.max_batch_tokens = 1000;
  auto engine = makeEngine({.max_tokens_per_step = 16}, options);
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->maxBatchTokens(), 16);
}

TEST(EngineScheduling, DecodesTakeTurnsWhenTheyOutnumberTheBudget) {
  std::vector<StepReport> steps;
  EngineOptions options = manualOptions();
  options.max_batch_tokens = 2;
  options.on_step = [&](const StepReport &r) { steps.push_back(r); };
  auto engine = makeEngine({.slots = 5}, options);
  ASSERT_TRUE(engine.ok());
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 5; ++i) handles.push_back(*(*engine)->submit(greedy(prompt(1, i), 4)));
  runToEnd(**engine);
  for (auto &h : handles) EXPECT_EQ(h->wait().tokens.size(), 4u);
  for (const StepReport &s : steps) EXPECT_LE(s.tokens, 2);
}

TEST(EngineScheduling, SlotsAreClaimedOnAdmissionAndFreedAtTheEnd) {
  auto engine = makeEngine({.slots = 2}, manualOptions());
  ASSERT_TRUE(engine.ok());
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(*(*engine)->submit(greedy(prompt(3, i), 4)));
  EngineStats before = (*engine)->stats();
  EXPECT_EQ(before.waiting, 3);
  EXPECT_EQ(before.running, 0);
  EXPECT_EQ(before.slots_free, 2);

  ASSERT_TRUE((*engine)->runStep().ok());
  EngineStats during = (*engine)->stats();
  EXPECT_EQ(during.running, 2);
  EXPECT_EQ(during.waiting, 1);
  EXPECT_EQ(during.slots_used, 2);
  EXPECT_EQ(during.slots_free, 0);
  EXPECT_EQ(during.prompt_tokens, 6u);

  runToEnd(**engine);
  EngineStats after = (*engine)->stats();
  EXPECT_EQ(after.running, 0);
  EXPECT_EQ(after.waiting, 0);
  EXPECT_EQ(after.slots_used, 0);
  EXPECT_EQ(after.slots_free, 2);
  EXPECT_EQ(after.finished[static_cast<size_t>(FinishReason::kLength)], 3u);
  EXPECT_EQ(after.generated_tokens, 12u);
  EXPECT_EQ(after.prompt_tokens, 9u);
  EXPECT_EQ(after.time_to_first_token.count(), 3u);
  EXPECT_EQ(after.inter_token_latency.count(), 9u);
  EXPECT_EQ(after.step_time.count(), after.steps);
  for (auto &h : handles) {
    RequestUpdate u = h->wait();
    EXPECT_TRUE(u.finished);
    EXPECT_EQ(u.reason, FinishReason::kLength);
    EXPECT_EQ(u.prompt_tokens, 3);
    EXPECT_EQ(u.generated_tokens, 4);
  }
}

TEST(EngineScheduling, AdmissionIsFirstComeFirstServed) {
  std::vector<StepReport> steps;
  EngineOptions options = manualOptions();
  options.on_step = [&](const StepReport &r) { steps.push_back(r); };
  auto engine = makeEngine({.slots = 1}, options);
  ASSERT_TRUE(engine.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*engine)->submit(greedy(prompt(2, i), 2)).ok());
  runToEnd(**engine);
  std::vector<int64_t> order;
  for (const StepReport &s : steps)
    if (order.empty() || order.back() != s.request_ids[0]) order.push_back(s.request_ids[0]);
  EXPECT_EQ(order, std::vector<int64_t>({1, 2, 3}));
}

TEST(EngineScheduling, TheSlotCapacityEndsARequestWithLength) {
  auto engine = makeEngine({.slots = 1, .max_seq_len = 8}, manualOptions());
  ASSERT_TRUE(engine.ok());
  auto h = (*engine)->submit(greedy(prompt(6), 100));
  ASSERT_TRUE(h.ok());
  runToEnd(**engine);
  RequestUpdate u = (*h)->wait();
  EXPECT_EQ(u.reason, FinishReason::kLength);
  // 6 prompt tokens and 2 fed generated ones fill the slot; the last
  // generated token is never fed.
  EXPECT_EQ(u.tokens.size(), 3u);
  // A prompt that fills the slot still gets its one token.
  auto full = (*engine)->submit(greedy(prompt(8), 5));
  ASSERT_TRUE(full.ok());
  runToEnd(**engine);
  EXPECT_EQ((*full)->wait().tokens.size(), 1u);
}

TEST(EngineScheduling, TheQueueIsBounded) {
  EngineOptions options = manualOptions();
  options.max_queue = 2;
  auto engine = makeEngine({.slots = 1}, options);
  ASSERT_TRUE(engine.ok());
  // One free slot and two places in the queue.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*engine)->submit(greedy(prompt(2, i), 2)).ok()) << i;
  absl::StatusOr<std::shared_ptr<RequestHandle>> refused = (*engine)->submit(greedy(prompt(2), 2));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE((*engine)->runStep().ok());  // one admitted, two waiting
  EXPECT_EQ((*engine)->submit(greedy(prompt(2), 2)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ((*engine)->stats().rejected, 2u);
  runToEnd(**engine);
  EXPECT_TRUE((*engine)->submit(greedy(prompt(2), 2)).ok());
  runToEnd(**engine);
  EXPECT_EQ((*engine)->stats().finished[static_cast<size_t>(FinishReason::kLength)], 4u);
}

TEST(EngineScheduling, InvalidRequestsAreRefused) {
  auto engine = makeEngine({.slots = 1, .max_seq_len = 8}, manualOptions());
  ASSERT_TRUE(engine.ok());
  Engine &e = **engine;
  auto code = [&](GenerationRequest r) { return e.submit(std::move(r)).status().code(); };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(greedy({}, 1)), kInvalid);
  EXPECT_EQ(code(greedy(prompt(9), 1)), kInvalid);  // longer than a slot
  EXPECT_EQ(code(greedy({1, static_cast<int32_t>(kVocab)}, 1)), kInvalid);
  EXPECT_EQ(code(greedy({1, -1}, 1)), kInvalid);
  EXPECT_EQ(code(greedy({1}, 0)), kInvalid);
  GenerationRequest bad_sampling = greedy({1}, 1);
  bad_sampling.sampling.top_p = 0;
  EXPECT_EQ(code(bad_sampling), kInvalid);
  GenerationRequest stops = greedy({1}, 1);
  stops.stop = {"x"};  // no tokenizer
  EXPECT_EQ(code(stops), kInvalid);
  GenerationRequest logprobs = greedy({1}, 1);
  logprobs.logprobs = kMaxTopLogprobs + 1;
  EXPECT_EQ(code(logprobs), kInvalid);
  EXPECT_EQ(e.stats().rejected, 8u);
  EXPECT_EQ(e.stats().waiting, 0);
}

TEST(EngineScheduling, ShutdownLetsRunningRequestsFinishThenRefuses) {
  auto engine = makeEngine({.slots = 2}, {});
  ASSERT_TRUE(engine.ok());
  auto h = (*engine)->submit(greedy(prompt(4), 20));
  ASSERT_TRUE(h.ok());
  (*engine)->shutdown(ServeClock::now() + std::chrono::seconds(30));
  RequestUpdate u = (*h)->wait();
  EXPECT_EQ(u.reason, FinishReason::kLength);
  EXPECT_EQ(u.tokens.size(), 20u);
  EXPECT_EQ((*engine)->submit(greedy(prompt(4), 2)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(EngineScheduling, ShutdownPastItsDeadlineEndsRequestsWithLength) {
  auto engine = makeEngine({.slots = 1, .max_seq_len = 4096}, {});
  ASSERT_TRUE(engine.ok());
  auto h = (*engine)->submit(greedy(prompt(4), 1000000));
  ASSERT_TRUE(h.ok());
  auto queued = (*engine)->submit(greedy(prompt(4), 10));
  ASSERT_TRUE(queued.ok());
  (*engine)->shutdown(ServeClock::now() + std::chrono::milliseconds(50));
  RequestUpdate u = (*h)->wait();
  EXPECT_EQ(u.reason, FinishReason::kLength);
  EXPECT_LT(u.tokens.size(), 4000u);
  EXPECT_EQ((*queued)->wait().reason, FinishReason::kLength);
  EngineStats stats = (*engine)->stats();
  EXPECT_EQ(stats.slots_free, 1);
  EXPECT_EQ(stats.running, 0);
}

}  // namespace
}  // namespace lfm::testing
