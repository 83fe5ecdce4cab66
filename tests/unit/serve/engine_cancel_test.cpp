// Cancellation and deadlines take effect at the next step and free the
// slot, whether the request is queued, reading its prompt or decoding.
#include <gtest/gtest.h>

#include <thread>

#include "ServeTestUtil.h"

namespace lfm::testing {
namespace {

std::vector<int32_t> prompt(int n) {
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) p[static_cast<size_t>(i)] = static_cast<int32_t>((i * 5 + 3) % kVocab);
  return p;
}

TEST(EngineCancel, MidPrefillFreesTheSlotAtTheNextStep) {
  EngineOptions options = manualOptions();
  options.max_batch_tokens = 4;
  auto engine = makeEngine({.slots = 1}, options);
  ASSERT_TRUE(engine.ok());
  auto h = (*engine)->submit(greedy(prompt(12), 5));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE((*engine)->runStep().ok());  // 4 of 12 prompt tokens
  EXPECT_EQ((*engine)->stats().slots_used, 1);
  (*h)->cancel();
  ASSERT_TRUE((*engine)->runStep().ok());
  EngineStats stats = (*engine)->stats();
  EXPECT_EQ(stats.slots_used, 0);
  EXPECT_EQ(stats.running, 0);
  EXPECT_EQ(stats.steps, 1u);  // the cancelled request ran no more
  EXPECT_EQ(stats.finished[static_cast<size_t>(FinishReason::kCancelled)], 1u);
  RequestUpdate u = (*h)->wait();
  EXPECT_EQ(u.reason, FinishReason::kCancelled);
  EXPECT_TRUE(u.tokens.empty());

  // The freed slot starts clean: a request now gives what it gives alone.
  auto again = (*engine)->submit(greedy(prompt(12), 5));
  runToEnd(**engine);
  auto fresh = makeEngine({.slots = 1}, manualOptions());
  auto alone = (*fresh)->submit(greedy(prompt(12), 5));
  runToEnd(**fresh);
  EXPECT_EQ((*again)->wait().tokens, (*alone)->wait().tokens);
}

TEST(EngineCancel, MidDecodeKeepsWhatWasGenerated) {
  auto engine = makeEngine({.slots = 2}, manualOptions());
  ASSERT_TRUE(engine.ok());
  auto h = (*engine)->submit(greedy(prompt(3), 50));
  auto other = (*engine)->submit(greedy(prompt(4), 6));
  ASSERT_TRUE(h.ok() && other.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*engine)->runStep().ok());
  std::optional<RequestUpdate> so_far = (*h)->next(std::chrono::milliseconds(0));
  ASSERT_TRUE(so_far.has_value());
  EXPECT_EQ(so_far->tokens.size(), 3u);
  EXPECT_FALSE(so_far->finished);
  (*h)->cancel();
  ASSERT_TRUE((*engine)->runStep().ok());
  EXPECT_EQ((*engine)->stats().slots_used, 1);
  std::optional<RequestUpdate> end = (*h)->next(std::chrono::milliseconds(0));
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->finished);
  EXPECT_EQ(end->reason, FinishReason::kCancelled);
  EXPECT_TRUE(end->tokens.empty());
  EXPECT_EQ(end->generated_tokens, 3);
  EXPECT_FALSE((*h)->next(std::chrono::milliseconds(0)).has_value());
  // The other request is unaffected.
  runToEnd(**engine);
  RequestUpdate o = (*other)->wait();
  EXPECT_EQ(o.reason, FinishReason::kLength);
  EXPECT_EQ(o.tokens.size(), 6u);
}

TEST(EngineCancel, WhileQueued) {
  auto engine = makeEngine({.slots = 1}, manualOptions());
  ASSERT_TRUE(engine.ok());
  auto first = (*engine)->submit(greedy(prompt(3), 3));
  auto second = (*engine)->submit(greedy(prompt(3), 3));
  (*second)->cancel();
  runToEnd(**engine);
  EXPECT_EQ((*first)->wait().reason, FinishReason::kLength);
  RequestUpdate u = (*second)->wait();
  EXPECT_EQ(u.reason, FinishReason::kCancelled);
  EXPECT_EQ(u.generated_tokens, 0);
  EXPECT_EQ((*engine)->stats().prompt_tokens, 3u);  // never admitted
}

TEST(EngineCancel, ADeadlineEndsTheRequestWithTimeout) {
  auto engine = makeEngine({.slots = 1, .max_seq_len = 1 << 20}, manualOptions());
  ASSERT_TRUE(engine.ok());
  GenerationRequest past = greedy(prompt(3), 3);
  past.deadline = ServeClock::now() - std::chrono::seconds(1);
  auto h = (*engine)->submit(past);
  ASSERT_TRUE(h.ok());
  runToEnd(**engine);
  EXPECT_EQ((*h)->wait().reason, FinishReason::kTimeout);
  EXPECT_EQ((*engine)->stats().steps, 0u);

  GenerationRequest soon = greedy(prompt(3), 1 << 20);
  soon.deadline = ServeClock::now() + std::chrono::milliseconds(30);
  auto s = (*engine)->submit(soon);
  ASSERT_TRUE(s.ok());
  runToEnd(**engine, 100000);
  RequestUpdate u = (*s)->wait();
  EXPECT_EQ(u.reason, FinishReason::kTimeout);
  EXPECT_EQ((*engine)->stats().slots_free, 1);
}

TEST(EngineCancel, FromAnotherThreadWhileTheLoopRuns) {
  auto engine = makeEngine({.slots = 4, .max_seq_len = 4096}, {});
  ASSERT_TRUE(engine.ok());
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 4; ++i) handles.push_back(*(*engine)->submit(greedy(prompt(5), 4000)));
  // Wait for some tokens, then cancel all.
  std::optional<RequestUpdate> u = handles[0]->next(std::chrono::seconds(30));
  ASSERT_TRUE(u.has_value());
  for (auto &h : handles) h->cancel();
  for (auto &h : handles) EXPECT_EQ(h->wait().reason, FinishReason::kCancelled);
  // Slots are free within a step of the cancellation.
  for (int i = 0; i < 100 && (*engine)->stats().slots_used != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ((*engine)->stats().slots_used, 0);
}

}  // namespace
}  // namespace lfm::testing
