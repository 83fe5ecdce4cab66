// The latency histograms: cumulative buckets and quantile bounds.
#include <gtest/gtest.h>

#include "lfm/ServeStats.h"

namespace lfm {
namespace {

TEST(ServeStats, HistogramBucketsAreCumulative) {
  Histogram h({0.1, 1.0, 10.0});
  for (double v : {0.05, 0.1, 0.5, 2.0, 100.0}) h.observe(v);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_DOUBLE_EQ(h.sum(), 102.65);
  EXPECT_EQ(h.counts(), std::vector<uint64_t>({2, 3, 4}));
  EXPECT_DOUBLE_EQ(h.quantileBound(0.4), 0.1);
  EXPECT_DOUBLE_EQ(h.quantileBound(0.5), 1.0);
  EXPECT_DOUBLE_EQ(h.quantileBound(0.99), 10.0);  // past the last bucket
  EXPECT_DOUBLE_EQ(Histogram({1.0}).quantileBound(0.5), 0.0);
}

TEST(ServeStats, LatencyBucketsAreSorted) {
  std::vector<double> b = latencyBuckets();
  ASSERT_FALSE(b.empty());
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  EXPECT_LE(b.front(), 0.001);
  EXPECT_GE(b.back(), 60.0);
}

TEST(ServeStats, RequestHandleMergesUpdatesTheReaderHasNotTaken) {
  RequestHandle h(1, 3);
  EXPECT_FALSE(h.next(std::chrono::milliseconds(0)).has_value());
  RequestUpdate a;
  a.tokens = {4};
  a.text = "x";
  a.generated_tokens = 1;
  h.publish(a);
  RequestUpdate b;
  b.tokens = {5};
  b.text = "y";
  b.generated_tokens = 2;
  b.finished = true;
  b.reason = FinishReason::kLength;
  h.publish(b);
  auto u = h.next(std::chrono::milliseconds(0));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->tokens, std::vector<int32_t>({4, 5}));
  EXPECT_EQ(u->text, "xy");
  EXPECT_TRUE(u->finished);
  EXPECT_EQ(u->generated_tokens, 2);
  EXPECT_FALSE(h.next(std::chrono::milliseconds(0)).has_value());
  EXPECT_EQ(finishReasonName(FinishReason::kLength), "length");
}

}  // namespace
}  // namespace lfm
