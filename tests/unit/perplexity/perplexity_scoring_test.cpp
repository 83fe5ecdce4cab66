// lfm-perplexity's arithmetic against values worked by hand.
#include <cmath>
#include <vector>

#include "Scoring.h"
#include "gtest/gtest.h"

namespace lfm::tools {
namespace {

TEST(PerplexityScoring, LogProbabilityIsLogSoftmax) {
  EXPECT_NEAR(logProbability(std::vector<float>{0, 0}, 1), std::log(0.5), 1e-12);
  // exp(1000) overflows float and double: the log-sum-exp must not.
  EXPECT_NEAR(logProbability(std::vector<float>{1000, 1000, 1000, 1000}, 2), std::log(0.25), 1e-12);
  const std::vector<float> row{1.0f, 2.0f, 3.0f};
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(logProbability(row, 0), 1.0 - std::log(z), 1e-6);
}

TEST(PerplexityScoring, KlDivergenceOfKnownDistributions) {
  const std::vector<float> p{0, 0};                                // [1/2, 1/2]
  const std::vector<float> q{static_cast<float>(std::log(3.0)), 0};  // [3/4, 1/4]
  const double expected = 0.5 * std::log(0.5 / 0.75) + 0.5 * std::log(0.5 / 0.25);
  EXPECT_NEAR(klDivergence(p, q), expected, 1e-7);
  EXPECT_GT(klDivergence(q, p), 0.0);
  EXPECT_NE(klDivergence(q, p), klDivergence(p, q));  // not symmetric: the order matters
  EXPECT_EQ(klDivergence(p, p), 0.0);
  // Shifting every logit changes nothing.
  EXPECT_NEAR(klDivergence(std::vector<float>{5, 5}, q), expected, 1e-7);
}

TEST(PerplexityScoring, UniformModelHasPerplexityOfItsVocabulary) {
  Scorer s;
  const std::vector<float> uniform(8, 0.25f);
  for (int32_t t = 0; t < 8; ++t) s.add(uniform, t);
  const ScoreSummary sum = s.summary();
  EXPECT_EQ(sum.tokens, 8);
  EXPECT_NEAR(sum.perplexity, 8.0, 1e-9);
  EXPECT_NEAR(sum.perplexity_error, 0.0, 1e-9);  // every token scored the same
  EXPECT_FALSE(sum.has_reference);
}

TEST(PerplexityScoring, ReferenceStatistics) {
  const std::vector<float> half{0, 0};
  const std::vector<float> skew{static_cast<float>(std::log(3.0)), 0};
  const double kl = klDivergence(half, skew);
  Scorer s;
  s.add(half, half, 0);  // KL 0; tie: argmax picks the first of both
  s.add(skew, half, 0);  // model skew, reference half: KL(half || skew)
  s.add(skew, skew, 1);  // KL 0, same top
  s.add(half, skew, 0);  // top differs? half's argmax 0, skew's argmax 0: same
  const ScoreSummary sum = s.summary();
  ASSERT_TRUE(sum.has_reference);
  EXPECT_EQ(sum.tokens, 4);
  const double nll = -(std::log(0.5) + std::log(0.75) + std::log(0.25) + std::log(0.5)) / 4;
  const double ref_nll = -(std::log(0.5) + std::log(0.5) + std::log(0.25) + std::log(0.75)) / 4;
  EXPECT_NEAR(sum.perplexity, std::exp(nll), 1e-6);
  EXPECT_NEAR(sum.reference_perplexity, std::exp(ref_nll), 1e-6);
  EXPECT_NEAR(sum.ln_ratio, nll - ref_nll, 1e-9);
  EXPECT_NEAR(sum.mean_kl, (kl + klDivergence(skew, half)) / 4, 1e-9);
  EXPECT_NEAR(sum.max_kl, std::max(kl, klDivergence(skew, half)), 1e-12);
  EXPECT_EQ(sum.same_top, 1.0);

  Scorer flip;
  const std::vector<float> a{1, 0}, b{0, 1}, c{0, 3};
  flip.add(b, a, 0);  // top differs
  flip.add(a, a, 0);  // KL 0
  flip.add(c, a, 0);  // top differs, the largest KL
  EXPECT_NEAR(flip.summary().same_top, 1.0 / 3, 1e-12);
  EXPECT_NEAR(flip.summary().median_kl, klDivergence(a, b), 1e-12);
  EXPECT_NEAR(flip.summary().max_kl, klDivergence(a, c), 1e-12);
}

}  // namespace
}  // namespace lfm::tools
