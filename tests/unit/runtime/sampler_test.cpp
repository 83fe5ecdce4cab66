// Next-token selection: greedy, top-k = 1, seeded determinism, top-p and the
// temperature-scaled distribution.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "lfm/Sampler.h"

namespace lfm {
namespace {

const std::vector<float> kLogits = {0.5f, 2.0f, -1.0f, 1.9f, 0.0f};

std::vector<int32_t> draw(const SamplingOptions &o, int n, const std::vector<float> &logits) {
  auto sampler = Sampler::create(o);
  EXPECT_TRUE(sampler.ok());
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) out.push_back(*sampler->sample(logits));
  return out;
}

TEST(Sampler, GreedyIsArgmaxWithLowestIndexOnTies) {
  EXPECT_EQ(*argmax(kLogits), 1);
  EXPECT_EQ(*argmax(std::vector<float>{3, 1, 3}), 0);
  EXPECT_EQ(*argmax(std::vector<float>{NAN, 1, 2}), 2);
  EXPECT_FALSE(argmax(std::vector<float>{}).ok());
  for (int32_t t : draw({}, 5, kLogits)) EXPECT_EQ(t, 1);
}

TEST(Sampler, TopK1EqualsGreedyAtAnyTemperature) {
  for (int32_t t : draw({.temperature = 5.0f, .top_k = 1, .seed = 3}, 50, kLogits)) {
    EXPECT_EQ(t, 1);
  }
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDifferentTokens) {
  SamplingOptions o{.temperature = 2.0f, .seed = 42};
  std::vector<int32_t> a = draw(o, 200, kLogits), b = draw(o, 200, kLogits);
  EXPECT_EQ(a, b);
  o.seed = 43;
  EXPECT_NE(draw(o, 200, kLogits), a);
}

TEST(Sampler, TopKAndTopPRestrictTheCandidates) {
  // top-k 2: only tokens 1 and 3.
  for (int32_t t : draw({.temperature = 10.0f, .top_k = 2, .seed = 1}, 300, kLogits)) {
    EXPECT_TRUE(t == 1 || t == 3) << t;
  }
  // A tiny top-p keeps only the most likely token.
  for (int32_t t : draw({.temperature = 1.0f, .top_p = 0.01f, .seed = 1}, 100, kLogits)) {
    EXPECT_EQ(t, 1);
  }
  // top-p 0.6 at temperature 1: p(1) ~ 0.43, p(3) ~ 0.39 reach 0.6; no others.
  for (int32_t t : draw({.temperature = 1.0f, .top_p = 0.6f, .seed = 2}, 300, kLogits)) {
    EXPECT_TRUE(t == 1 || t == 3) << t;
  }
}

TEST(Sampler, MinPDropsTokensBelowAFractionOfTheTop) {
  // p = .1 .2 .7 at temperature 1: min-p 0.2 keeps tokens with p >= 0.14.
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(7.0f)};
  std::vector<int> counts(3);
  const int n = 4000;
  for (int32_t t : draw({.temperature = 1.0f, .min_p = 0.2f, .seed = 5}, n, logits)) ++counts[t];
  EXPECT_EQ(counts[0], 0);
  EXPECT_NEAR(counts[1] / double(n), 2.0 / 9.0, 0.03);  // renormalized over the two kept
  EXPECT_NEAR(counts[2] / double(n), 7.0 / 9.0, 0.03);
  // min-p 1 keeps the top token alone.
  for (int32_t t : draw({.temperature = 3.0f, .min_p = 1.0f, .seed = 5}, 100, logits)) EXPECT_EQ(t, 2);
}

TEST(Sampler, RepetitionPenaltyAsHuggingFace) {
  // Greedy picks token 1 (2.0); seen, it becomes 2.0 / 1.5 = 1.33 < 1.9.
  auto s = Sampler::create({.repetition_penalty = 1.5f});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s->sample(kLogits), 1);
  EXPECT_EQ(*s->sample(kLogits, std::vector<int32_t>{1}), 3);
  // Listed twice, a token is penalized once; out-of-range ids are ignored.
  EXPECT_EQ(*s->sample(kLogits, std::vector<int32_t>{1, 1, 99, -3}), 3);
  // Both leaders seen: 2.0 / 1.5 = 1.33 beats 1.9 / 1.5 = 1.27 and 0.5.
  EXPECT_EQ(*s->sample(kLogits, std::vector<int32_t>{1, 3, 2}), 1);
  const std::vector<float> negative = {-1.0f, -1.2f};
  EXPECT_EQ(*s->sample(negative, std::vector<int32_t>{0}), 1);  // -1.5 < -1.2
  // No penalty (1): the seen tokens change nothing.
  auto plain = Sampler::create({});
  EXPECT_EQ(*plain->sample(kLogits, std::vector<int32_t>{1}), 1);
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(7.0f)};  // p = .1 .2 .7
  std::vector<int> counts(3);
  const int n = 20000;
  for (int32_t t : draw({.temperature = 1.0f, .seed = 9}, n, logits)) ++counts[t];
  EXPECT_NEAR(counts[0] / double(n), 0.1, 0.015);
  EXPECT_NEAR(counts[1] / double(n), 0.2, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.7, 0.015);
}

TEST(Sampler, InvalidOptionsAreErrors) {
  EXPECT_FALSE(Sampler::create({.temperature = -1.0f}).ok());
  EXPECT_FALSE(Sampler::create({.temperature = NAN}).ok());
  EXPECT_FALSE(Sampler::create({.top_k = -1}).ok());
  EXPECT_FALSE(Sampler::create({.top_p = 0.0f}).ok());
  EXPECT_FALSE(Sampler::create({.top_p = 1.5f}).ok());
  EXPECT_FALSE(Sampler::create({.min_p = -0.1f}).ok());
  EXPECT_FALSE(Sampler::create({.min_p = 1.1f}).ok());
  EXPECT_FALSE(Sampler::create({.repetition_penalty = 0.0f}).ok());
  EXPECT_FALSE(Sampler::create({.repetition_penalty = INFINITY}).ok());
  auto s = Sampler::create({.temperature = 1.0f});
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->sample(std::vector<float>{}).ok());
  EXPECT_FALSE(s->sample(std::vector<float>{NAN, NAN}).ok());
}

}  // namespace
}  // namespace lfm
