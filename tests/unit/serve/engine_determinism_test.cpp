// Batch invariance end to end: on the cpu device a greedy or fixed-seed
// request gives bit-identical tokens (and log-probabilities) whether it runs
// alone or among 32 concurrent requests, whatever the chunking and the
// company in each step.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "ServeTestUtil.h"

namespace lfm::testing {
namespace {

GenerationRequest requestFor(int i) {
  GenerationRequest r;
  const int len = 1 + (i * 7) % 23;
  for (int t = 0; t < len; ++t) r.prompt.push_back(static_cast<int32_t>((t * 3 + i * 5 + 1) % kVocab));
  r.max_tokens = 8 + i % 17;
  if (i % 2 == 1) {
    r.sampling.temperature = 0.9f;
    r.sampling.top_p = 0.95f;
    r.sampling.top_k = i % 3 == 0 ? 0 : 6;
    r.sampling.seed = 1000 + static_cast<uint64_t>(i);
  }
  if (i % 4 == 2) r.sampling.repetition_penalty = 1.3f;
  if (i % 5 == 0) r.logprobs = 3;
  return r;
}

bool sameBits(const std::vector<TokenLogprob> &a, const std::vector<TokenLogprob> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].token != b[i].token || std::memcmp(&a[i].logprob, &b[i].logprob, 4) != 0 ||
        a[i].top.size() != b[i].top.size())
      return false;
    for (size_t k = 0; k < a[i].top.size(); ++k)
      if (a[i].top[k].first != b[i].top[k].first ||
          std::memcmp(&a[i].top[k].second, &b[i].top[k].second, 4) != 0)
        return false;
  }
  return true;
}

TEST(EngineDeterminism, AloneAndAmong32ConcurrentRequestsGiveTheSameTokens) {
  constexpr int kRequests = 32;
  // Alone: one request at a time, the whole prompt in one step.
  std::vector<RequestUpdate> alone;
  {
    auto engine = makeEngine({.slots = 1, .max_seq_len = 64, .max_tokens_per_step = 64}, {});
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (int i = 0; i < kRequests; ++i) {
      auto h = (*engine)->submit(requestFor(i));
      ASSERT_TRUE(h.ok()) << h.status();
      alone.push_back((*h)->wait());
      ASSERT_EQ(alone.back().reason, FinishReason::kLength);
    }
  }
  // Together: 32 slots, submitted from 32 threads at once, with a budget
  // that chunks prompts and mixes them with decodes.
  for (int64_t budget : {64, 7}) {
    EngineOptions options;
    options.max_batch_tokens = budget;
    int64_t mixed_steps = 0;
    options.on_step = [&](const StepReport &s) {
      if (s.decode_rows > 0 && s.prefill_tokens > 0) ++mixed_steps;
    };
    auto engine = makeEngine({.slots = kRequests, .max_seq_len = 64, .max_tokens_per_step = 64},
                             options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    std::vector<RequestUpdate> together(kRequests);
    std::vector<std::thread> clients;
    for (int i = 0; i < kRequests; ++i) {
      clients.emplace_back([&, i] {
        auto h = (*engine)->submit(requestFor(i));
        if (h.ok()) together[static_cast<size_t>(i)] = (*h)->wait();
      });
    }
    for (std::thread &t : clients) t.join();
    for (int i = 0; i < kRequests; ++i) {
      SCOPED_TRACE(::testing::Message() << "request " << i << ", budget " << budget);
      EXPECT_EQ(together[static_cast<size_t>(i)].tokens, alone[static_cast<size_t>(i)].tokens);
      EXPECT_TRUE(sameBits(together[static_cast<size_t>(i)].logprobs,
                           alone[static_cast<size_t>(i)].logprobs));
    }
    EXPECT_GT(mixed_steps, 0);
    EngineStats stats = (*engine)->stats();
    EXPECT_EQ(stats.slots_free, kRequests);
    EXPECT_EQ(stats.finished[static_cast<size_t>(FinishReason::kLength)],
              static_cast<uint64_t>(kRequests));
  }
}

}  // namespace
}  // namespace lfm::testing
