// Text through the engine: the streamed text equals the tokens' decoding,
// stop strings are found across token boundaries and never reach the
// output, EOS ends a request with kStop, and log-probabilities are those of
// the logits row.
#include <gtest/gtest.h>

#include <cmath>

#include "ServeTestUtil.h"
#include "lfm/Tokenizer.h"

namespace lfm::testing {
namespace {

class EngineText : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tok = Tokenizer::create(kTinyTokenizerJson, "", "tiny tokenizer");
    ASSERT_TRUE(tok.ok()) << tok.status();
    tokenizer_ = std::move(*tok);
  }

  std::unique_ptr<Engine> engine(std::vector<int32_t> eos = {}) {
    EngineOptions options = manualOptions();
    options.tokenizer = tokenizer_.get();
    options.eos_ids = std::move(eos);
    auto e = makeEngine({.slots = 2}, options);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? std::move(*e) : nullptr;
  }

  RequestUpdate run(Engine &e, GenerationRequest r) {
    auto h = e.submit(std::move(r));
    EXPECT_TRUE(h.ok()) << h.status();
    if (!h.ok()) return {};
    runToEnd(e);
    return (*h)->wait();
  }

  // A sampled request whose text has visible characters in many tokens.
  GenerationRequest sampled(uint64_t seed, int64_t max_tokens) {
    GenerationRequest r = greedy({3, 4, 5, 6, 7}, max_tokens);
    r.sampling.temperature = 1.5f;
    r.sampling.seed = seed;
    return r;
  }

  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(EngineText, TheTextIsTheDecodingOfTheTokens) {
  auto e = engine();
  RequestUpdate u = run(*e, sampled(1, 30));
  ASSERT_EQ(u.tokens.size(), 30u);
  auto decoded = tokenizer_->decode(u.tokens, /*skip_special_tokens=*/true);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(u.text, *decoded);
}

TEST_F(EngineText, StopStringsAcrossTokensEndTheRequestAndNeverLeak) {
  auto e = engine();
  int checked = 0;
  for (uint64_t seed = 1; seed < 40 && checked < 5; ++seed) {
    RequestUpdate free_run = run(*e, sampled(seed, 30));
    // Each token's text, to find a boundary between two visible pieces.
    std::vector<std::string> pieces;
    for (int32_t t : free_run.tokens) {
      auto p = tokenizer_->decode(std::vector<int32_t>{t}, true);
      ASSERT_TRUE(p.ok());
      pieces.push_back(*p);
    }
    std::string stop;
    for (size_t k = 0; k + 1 < pieces.size() && stop.empty(); ++k)
      if (!pieces[k].empty() && !pieces[k + 1].empty() && k >= 3)
        stop = std::string(1, pieces[k].back()) + pieces[k + 1].front();
    if (stop.empty()) continue;
    // The first place the stop string ends and the token that completes it.
    const size_t at = free_run.text.find(stop);
    ASSERT_NE(at, std::string::npos);
    size_t end = at + stop.size(), chars = 0, completing = 0;
    for (; completing < pieces.size(); ++completing) {
      chars += pieces[completing].size();
      if (chars >= end) break;
    }
    GenerationRequest r = sampled(seed, 30);
    r.stop = {"never there", stop};
    RequestUpdate stopped = run(*e, r);
    SCOPED_TRACE(::testing::Message() << "seed " << seed << ", text '" << free_run.text
                                      << "', stop '" << stop << "'");
    EXPECT_EQ(stopped.reason, FinishReason::kStop);
    EXPECT_EQ(stopped.text, free_run.text.substr(0, at));
    EXPECT_EQ(stopped.tokens.size(), completing + 1);
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

TEST_F(EngineText, EosEndsTheRequestWithStop) {
  RequestUpdate free_run = run(*engine(), sampled(3, 30));
  // Make the fifth token an EOS id.
  auto e = engine({free_run.tokens[4]});
  RequestUpdate u = run(*e, sampled(3, 30));
  size_t first = 0;
  while (free_run.tokens[first] != free_run.tokens[4]) ++first;
  EXPECT_EQ(u.reason, FinishReason::kStop);
  EXPECT_EQ(u.tokens.size(), first + 1);
  // ignore_eos runs on.
  GenerationRequest r = sampled(3, 30);
  r.ignore_eos = true;
  EXPECT_EQ(run(*e, r).tokens, free_run.tokens);
}

TEST_F(EngineText, LogprobsAreALogSoftmax) {
  auto e = engine();
  GenerationRequest r = greedy({3, 4}, 5);
  r.logprobs = 4;
  RequestUpdate u = run(*e, r);
  ASSERT_EQ(u.logprobs.size(), 5u);
  for (size_t i = 0; i < u.logprobs.size(); ++i) {
    const TokenLogprob &l = u.logprobs[i];
    EXPECT_EQ(l.token, u.tokens[i]);
    ASSERT_EQ(l.top.size(), 4u);
    // Greedy: the chosen token is the most likely.
    EXPECT_EQ(l.top[0].first, l.token);
    EXPECT_FLOAT_EQ(l.top[0].second, l.logprob);
    EXPECT_LE(l.logprob, 0.0f);
    for (size_t k = 1; k < l.top.size(); ++k) EXPECT_LE(l.top[k].second, l.top[k - 1].second);
  }
  // logprobs 0: the chosen token's only.
  r.logprobs = 0;
  RequestUpdate chosen = run(*e, r);
  ASSERT_EQ(chosen.logprobs.size(), 5u);
  EXPECT_TRUE(chosen.logprobs[0].top.empty());
  EXPECT_EQ(chosen.logprobs[0].logprob, u.logprobs[0].logprob);
}

}  // namespace
}  // namespace lfm::testing
